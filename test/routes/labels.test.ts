import { introspectWorkflowInstance } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { InstanceStatus } from "../../src/domain/instance-status";
import { readTargets } from "../../src/index/directory";
import { reserveInIndex } from "../../src/index/workflow-index";
import { createDeps } from "../../src/services/deps";
import { api, audit, createInstance, errorOf, mintToken, putWorkflow, uniqueId } from "../helpers/api";
import { eventually } from "../helpers/eventually";

type Summary = { id: string; status: string; labels: Record<string, string> };
type Groups = {
  groups: {
    key: { status?: string; version_id?: string; labels?: Record<string, string | null> };
    instances: Record<string, number>;
  }[];
  source: string;
};

/** Index rows with labels, as creates reserve them, in the segments of a workflow the list reads only from its index. */
async function indexed(workflowName: string, rows: [string, Record<string, string> | null, InstanceStatus?][]) {
  const deps = createDeps(env);
  const target = (await readTargets(deps.db, [workflowName])).get(workflowName);
  if (!target) throw new Error(`no workflow ${workflowName}`);
  const now = Date.now();
  await reserveInIndex(
    deps.db,
    deps.index,
    target,
    rows.map(([id, labels, status], index) => ({
      id,
      versionId: target.config.versionId,
      status: status ?? "running",
      triggerSource: "api" as const,
      createdOn: new Date(now + index),
      modifiedOn: new Date(now + index),
      labels,
    })),
  );
}

async function listed(workflow: string, query: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const response = await api<Summary[]>(
      "GET",
      `/workflows/${workflow}/instances?per_page=2&${query}${cursor ? `&cursor=${cursor}` : ""}`,
    );
    if (response.status !== 200) throw new Error(JSON.stringify(response.body));
    ids.push(...response.body.result.map((item) => item.id));
    cursor = response.body.result_info?.cursor;
  } while (cursor);
  return ids.sort();
}

describe("POST /workflows/:workflow_name/instances with labels", () => {
  it("keeps the labels, shows them in GET and in the list, and finds the instance by them", async ({ expect }) => {
    const id = uniqueId("labelled");
    const order = uniqueId("A");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await createInstance("hello-world", {
      instance_id: id,
      params: { name: "Ada" },
      labels: { order, tenant: "acme" },
    });
    await instance.waitForStatus("complete");
    const read = await api<{ labels: Record<string, string> }>("GET", `/workflows/hello-world/instances/${id}`);
    expect(read.body.result.labels).toEqual({ order, tenant: "acme" });
    const list = await api<Summary[]>("GET", `/workflows/hello-world/instances?labels=order%3D${order}`);
    expect(list.body.result.map((item) => [item.id, item.labels])).toEqual([[id, { order, tenant: "acme" }]]);
    expect(list.body.result_info).toMatchObject({ total_count: 1 });
  });

  it.for([
    ["a key with capitals", { Tenant: "acme" }, "labels.Tenant"],
    ["a value that is not a string", { tenant: 42 }, "labels.tenant"],
    ["a value over 256 characters", { tenant: "x".repeat(257) }, "labels.tenant"],
    [
      "17 labels",
      Object.fromEntries(Array.from({ length: 17 }, (_, index) => [`k${index}`, "v"])),
      "at most 16 labels",
    ],
  ] as const)("refuses %s with 400 and creates nothing", async ([, labels, message], { expect }) => {
    const id = uniqueId("refused");
    const error = errorOf(await api("POST", "/workflows/hello-world/instances", { body: { instance_id: id, labels } }));
    expect(error).toMatchObject({ status: 400, code: 10002 });
    expect(error.message).toContain(message);
    expect((await api("GET", `/workflows/hello-world/instances/${id}`)).status).toBe(404);
  });
});

describe("POST /workflows/:workflow_name/instances/batch with labels", () => {
  it("labels each item, in both the array and the object form", async ({ expect }) => {
    const tenant = uniqueId("tenant");
    const ids = [uniqueId("batch"), uniqueId("batch")];
    const array = await api("POST", "/workflows/hello-world/instances/batch", {
      body: [
        { instance_id: ids[0], params: { name: "a" }, labels: { tenant, item: "first" } },
        { instance_id: ids[1], params: { name: "b" }, labels: { tenant, item: "second" } },
      ],
    });
    expect(array.status, JSON.stringify(array.body)).toBe(200);
    const object = await api<{ created: { id: string }[] }>("POST", "/workflows/hello-world/instances/batch", {
      body: { count: 2, params: { name: "c" }, labels: { tenant, item: "counted" } },
    });
    expect(object.status, JSON.stringify(object.body)).toBe(200);
    const counted = object.body.result.created.map((item) => item.id);
    expect(await listed("hello-world", `labels=tenant%3D${tenant}`)).toEqual([...ids, ...counted].sort());
    expect(await listed("hello-world", `labels=tenant%3D${tenant},item%3Dcounted`)).toEqual(counted.sort());
  });
});

describe("PATCH /workflows/:workflow_name/instances/:instance_id/labels", () => {
  it("sets and removes labels, audited, and the list and counts follow", async ({ expect }) => {
    const id = uniqueId("patched");
    const tenant = uniqueId("tenant");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await createInstance("hello-world", { instance_id: id, labels: { tenant, draft: "yes" } });
    await instance.waitForStatus("complete");
    // A read brings the index up to the engine's status.
    await api("GET", `/workflows/hello-world/instances/${id}`);
    const patched = await api<{ labels: Record<string, string> }>(
      "PATCH",
      `/workflows/hello-world/instances/${id}/labels`,
      { body: { set: { tenant: `${tenant}-moved`, region: "eu" }, remove: ["draft"] } },
    );
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.result).toEqual({ id, labels: { tenant: `${tenant}-moved`, region: "eu" } });
    expect(await listed("hello-world", `labels=tenant%3D${tenant}`)).toEqual([]);
    expect(await listed("hello-world", `labels=tenant%3D${tenant}-moved,!draft`)).toEqual([id]);
    const counts = await api<Groups>(
      "GET",
      `/workflows/hello-world/instances/counts?group_by=status&labels=tenant%3D${tenant}-moved`,
    );
    expect(counts.body.result.groups).toEqual([
      { key: { status: "complete" }, instances: expect.objectContaining({ complete: 1 }) },
    ]);
    const action = "PATCH /workflows/:workflow_name/instances/:instance_id/labels";
    const records = await audit(`workflow=hello-world&action=${encodeURIComponent(action)}`);
    expect(records.find((record) => record.instance_id === id)).toMatchObject({
      action,
      outcome: "success",
      detail: { set: ["tenant", "region"], remove: ["draft"] },
    });
  });

  it.for([
    ["an empty change", {}, 400],
    ["a key both set and removed", { set: { a: "1" }, remove: ["a"] }, 400],
    ["an unknown field", { set: { a: "1" }, replace: true }, 400],
    [
      "a change past 16 labels",
      { set: Object.fromEntries(Array.from({ length: 16 }, (_, index) => [`k${index}`, "v"])) },
      400,
    ],
  ] as const)("refuses %s and changes nothing", async ([, body, status], { expect }) => {
    const id = uniqueId("refused-patch");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await createInstance("hello-world", { instance_id: id, labels: { tenant: "acme" } });
    await instance.waitForStatus("complete");
    const error = errorOf(await api("PATCH", `/workflows/hello-world/instances/${id}/labels`, { body }));
    expect(error).toMatchObject({ status, code: 10002 });
    const read = await api<{ labels: Record<string, string> }>("GET", `/workflows/hello-world/instances/${id}`);
    expect(read.body.result.labels).toEqual({ tenant: "acme" });
  });

  it("answers 404 for an instance nobody knows", async ({ expect }) => {
    const error = errorOf(
      await api("PATCH", `/workflows/hello-world/instances/${uniqueId("nobody")}/labels`, {
        body: { set: { a: "1" } },
      }),
    );
    expect(error).toMatchObject({ status: 404, code: 10400 });
  });

  it("answers 400 workflowNotBound for an unindexed instance of a workflow this deployment does not bind", async ({
    expect,
  }) => {
    const name = uniqueId("unbound");
    await putWorkflow(name, { class_name: "NotBound", script_name: "nowhere" });
    const error = errorOf(
      await api("PATCH", `/workflows/${name}/instances/${uniqueId("unbound-instance")}/labels`, {
        body: { set: { a: "1" } },
      }),
    );
    expect(error).toMatchObject({ status: 400, code: 10201 });
  });

  it("labels an instance created straight through the binding, indexing it first", async ({ expect }) => {
    const id = uniqueId("direct");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await env.HELLO_WORLD.create({ id, params: { name: "direct" } });
    await instance.waitForStatus("complete");
    const patched = await api("PATCH", `/workflows/hello-world/instances/${id}/labels`, {
      body: { set: { found: "yes" } },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(await listed("hello-world", "labels=found%3Dyes")).toContain(id);
  });
});

describe("GET /workflows/:workflow_name/instances?labels=…", () => {
  it("applies every selector operator, with the other filters and across pages", async ({ expect }) => {
    const name = uniqueId("selectors");
    await putWorkflow(name);
    await indexed(name, [
      ["a", { tenant: "acme", region: "eu" }],
      ["b", { tenant: "acme", region: "us" }, "errored"],
      ["c", { tenant: "globex", region: "eu", vip: "yes" }],
      ["d", { tenant: "globex" }, "errored"],
      ["e", null],
      ["f", { tenant: "initech", region: "eu" }],
    ]);
    const cases: [string, string[]][] = [
      ["tenant=acme", ["a", "b"]],
      ["tenant==acme", ["a", "b"]],
      ["tenant!=acme", ["c", "d", "e", "f"]],
      ["tenant in (acme,initech)", ["a", "b", "f"]],
      ["tenant notin (acme,initech)", ["c", "d", "e"]],
      ["region", ["a", "b", "c", "f"]],
      ["!region", ["d", "e"]],
      ["tenant=globex,vip", ["c"]],
      ["region=eu,tenant!=acme", ["c", "f"]],
      ["region in (eu),!vip,tenant notin (acme)", ["f"]],
    ];
    for (const [selector, expected] of cases) {
      expect(await listed(name, `labels=${encodeURIComponent(selector)}`), selector).toEqual(expected);
    }
    expect(await listed(name, "labels=tenant%3Dacme&status=errored")).toEqual(["b"]);
    expect(await listed(name, "labels=region%3Deu&direction=asc")).toEqual(["a", "c", "f"]);
    const counted = await api<Summary[]>("GET", `/workflows/${name}/instances?labels=region%3Deu&per_page=1`);
    expect(counted.body.result_info).toMatchObject({ total_count: 3, count: 1 });
    const narrowed = await api<Summary[]>("GET", `/workflows/${name}/instances?labels=region%3Deu,vip&per_page=1`);
    expect(narrowed.body.result_info).toMatchObject({ total_count: 1 });
  });

  it.for([
    ["tenant=acme,", 12],
    ["tenant in (a,b", 14],
    ["Tenant", 0],
    ["tenant=a b", 9],
  ] as const)(
    "refuses the malformed selector %j with 400 and the position",
    async ([selector, position], { expect }) => {
      const error = errorOf(
        await api("GET", `/workflows/hello-world/instances?labels=${encodeURIComponent(selector)}`),
      );
      expect(error).toMatchObject({ status: 400, code: 10002 });
      expect(error.message).toContain(`at position ${position}`);
    },
  );
});

describe("GET /workflows/:workflow_name/instances/counts", () => {
  it("groups by a label with its status breakdown, instances without it as null", async ({ expect }) => {
    const name = uniqueId("counted");
    const workflow = await putWorkflow(name);
    await indexed(name, [
      ["a", { tenant: "acme" }],
      ["b", { tenant: "acme" }, "errored"],
      ["c", { tenant: "globex" }],
      ["d", null, "complete"],
    ]);
    const response = await api<Groups>("GET", `/workflows/${name}/instances/counts?group_by=label:tenant`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const zero = {
      queued: 0,
      running: 0,
      paused: 0,
      errored: 0,
      terminated: 0,
      complete: 0,
      waiting: 0,
      waitingForPause: 0,
      rollingBack: 0,
    };
    expect(response.body.result).toEqual({
      source: "counts",
      groups: [
        { key: { labels: { tenant: "acme" } }, instances: { ...zero, running: 1, errored: 1 } },
        { key: { labels: { tenant: "globex" } }, instances: { ...zero, running: 1 } },
        { key: { labels: { tenant: null } }, instances: { ...zero, complete: 1 } },
      ],
    });
    const byVersion = await api<Groups>(
      "GET",
      `/workflows/${name}/instances/counts?group_by=version,status&labels=tenant`,
    );
    expect(byVersion.body.result).toMatchObject({
      source: "scan",
      groups: [
        { key: { status: "running", version_id: workflow.version_id }, instances: { running: 2 } },
        { key: { status: "errored", version_id: workflow.version_id }, instances: { errored: 1 } },
      ],
    });
  });

  it.for([
    ["no group_by", "", 400],
    ["an unknown grouping", "?group_by=tenant", 400],
    ["a grouping given twice", "?group_by=status,status", 400],
    ["a malformed selector", "?group_by=status&labels=a%3D%3D%3D", 400],
  ] as const)("refuses %s with 400", async ([, query, status], { expect }) => {
    expect(errorOf(await api("GET", `/workflows/hello-world/instances/counts${query}`))).toMatchObject({
      status,
      code: 10002,
    });
  });

  it("answers 404 for a workflow that does not exist", async ({ expect }) => {
    const error = errorOf(await api("GET", `/workflows/${uniqueId("missing")}/instances/counts?group_by=status`));
    expect(error).toMatchObject({ status: 404, code: 10200 });
  });
});

describe("PUT /workflows/:workflow_name with label_paths", () => {
  it("labels new instances from their params, the caller's label winning, and keeps the paths when left out", async ({
    expect,
  }) => {
    const put = await api<{ label_paths: unknown; version_id: string }>("PUT", "/workflows/hello-world", {
      body: {
        class_name: "HelloWorldWorkflow",
        script_name: "workflow-control-plane",
        label_paths: { tenant: "$.__dispatcherMetadata.tenantId", person: "$.name" },
      },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.result.label_paths).toEqual({ tenant: "$.__dispatcherMetadata.tenantId", person: "$.name" });
    try {
      const tenant = uniqueId("tenant");
      const ids = [uniqueId("pathed"), uniqueId("pathed")];
      const params = { name: "Grace", __dispatcherMetadata: { tenantId: tenant } };
      await createInstance("hello-world", { instance_id: ids[0], params });
      await createInstance("hello-world", { instance_id: ids[1], params, labels: { person: "caller" } });
      const list = await api<Summary[]>(
        "GET",
        `/workflows/hello-world/instances?labels=tenant%3D${tenant}&direction=asc`,
      );
      expect(list.body.result.map((item) => item.labels)).toEqual([
        { person: "Grace", tenant },
        { person: "caller", tenant },
      ]);
      // Created straight through the binding, behind the API's back: labelled when first seen.
      const direct = uniqueId("direct-pathed");
      await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, direct);
      await env.HELLO_WORLD.create({ id: direct, params });
      await instance.waitForStatus("complete");
      const read = await api<{ labels: Record<string, string> }>("GET", `/workflows/hello-world/instances/${direct}`);
      expect(read.body.result.labels).toEqual({ person: "Grace", tenant });
      ids.push(direct);
      // A PUT without label_paths (as deployment sync makes) keeps them.
      await api("PUT", "/workflows/hello-world", {
        body: { class_name: "HelloWorldWorkflow", script_name: "workflow-control-plane" },
      });
      expect((await api<{ label_paths: unknown }>("GET", "/workflows/hello-world")).body.result.label_paths).toEqual({
        tenant: "$.__dispatcherMetadata.tenantId",
        person: "$.name",
      });
      for (const id of ids) {
        await eventually(async () => {
          const read = await api<{ status: string }>("GET", `/workflows/hello-world/instances/${id}`);
          if (read.body.result.status !== "complete") throw new Error(read.body.result.status);
        });
      }
    } finally {
      await api("PUT", "/workflows/hello-world", {
        body: { class_name: "HelloWorldWorkflow", script_name: "workflow-control-plane", label_paths: null },
      });
    }
    expect((await api<{ label_paths: unknown }>("GET", "/workflows/hello-world")).body.result.label_paths).toBeNull();
  });

  it.for([
    ["a path without $", { tenant: "tenantId" }],
    ["a filter expression", { tenant: "$..tenantId" }],
    ["an invalid key", { Tenant: "$.tenantId" }],
  ] as const)("refuses %s with 400", async ([, label_paths], { expect }) => {
    const body = { class_name: "C", script_name: "s", label_paths };
    expect(errorOf(await api("PUT", `/workflows/${uniqueId("paths")}`, { body }))).toMatchObject({
      status: 400,
      code: 10002,
    });
  });
});

describe("POST …/instances/bulk with filter.labels", () => {
  it("pauses only the tenant's instances", async ({ expect }) => {
    const tenant = uniqueId("tenant");
    const ours = [uniqueId("ours"), uniqueId("ours")];
    const theirs = uniqueId("theirs");
    const order = { orderId: "bulk", amount: 3 };
    for (const id of ours)
      await createInstance("order-approval", { instance_id: id, params: order, labels: { tenant } });
    await createInstance("order-approval", {
      instance_id: theirs,
      params: order,
      labels: { tenant: `${tenant}-other` },
    });
    const preview = await api<{ total: number }>("POST", "/workflows/order-approval/instances/bulk", {
      body: { action: "pause", filter: { labels: `tenant=${tenant}` }, dry_run: true },
    });
    expect(preview.body.result.total).toBe(2);
    const job = await api<{ id: string; filter: unknown }>("POST", "/workflows/order-approval/instances/bulk", {
      body: { action: "pause", filter: { labels: `tenant = ${tenant}` } },
    });
    expect(job.status, JSON.stringify(job.body)).toBe(202);
    expect(job.body.result.filter).toEqual({ labels: `tenant=${tenant}` });
    await eventually(async () => {
      const read = await api<{ status: string; succeeded: number }>(
        "GET",
        `/workflows/order-approval/bulk/${job.body.result.id}`,
      );
      if (read.body.result.status !== "complete") throw new Error(read.body.result.status);
      expect(read.body.result.succeeded).toBe(2);
    }, 30_000);
    for (const id of ours)
      expect(await (await env.ORDER_APPROVAL.get(id)).status()).toMatchObject({ status: "paused" });
    expect((await (await env.ORDER_APPROVAL.get(theirs)).status()).status).not.toBe("paused");
    for (const id of [...ours, theirs]) await (await env.ORDER_APPROVAL.get(id)).terminate();
  });

  it("refuses a malformed selector with 400 and accepts no job", async ({ expect }) => {
    const error = errorOf(
      await api("POST", "/workflows/order-approval/instances/bulk", {
        body: { action: "pause", filter: { labels: "tenant in (a" } },
      }),
    );
    expect(error).toMatchObject({ status: 400, code: 10002 });
    expect(error.message).toContain("at position 12");
  });
});

describe("scoped tokens on the label routes", () => {
  it("lets a read token count but not relabel, and keeps a token to its workflows", async ({ expect }) => {
    const id = uniqueId("scoped");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await createInstance("hello-world", { instance_id: id, labels: { tenant: "acme" } });
    await instance.waitForStatus("complete");
    const reader = await mintToken({ name: "reader", permissions: ["read"], workflows: ["hello-world"] });
    const editor = await mintToken({ name: "editor", permissions: ["edit"], workflows: ["order-approval"] });
    const counts = "/workflows/hello-world/instances/counts?group_by=label:tenant";
    const patch = `/workflows/hello-world/instances/${id}/labels`;
    expect((await api("GET", counts, { token: reader.value ?? "" })).status).toBe(200);
    expect(errorOf(await api("PATCH", patch, { body: { set: { a: "1" } }, token: reader.value ?? "" })).status).toBe(
      403,
    );
    expect(errorOf(await api("GET", counts, { token: editor.value ?? "" })).status).toBe(403);
    expect(errorOf(await api("PATCH", patch, { body: { set: { a: "1" } }, token: editor.value ?? "" })).status).toBe(
      403,
    );
    expect(
      (await api<{ labels: unknown }>("GET", `/workflows/hello-world/instances/${id}`)).body.result.labels,
    ).toEqual({
      tenant: "acme",
    });
  });
});
