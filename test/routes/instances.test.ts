import { introspectWorkflow, introspectWorkflowInstance } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { api, counts, createInstance, errorOf, parsed, putWorkflow, uniqueId } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { journal } from "../helpers/journal";

type Summary = { id: string; status: string; created_on: string; trigger_source: string };
type BatchReport = {
  created: Summary[];
  errors: { index: number; id?: string; code: number; message: string }[];
};
type Details = {
  status: string;
  params: unknown;
  trigger: { source: string };
  queued: string;
  start: string | null;
  end: string | null;
  success: boolean | null;
  error: { name: string; message: string } | null;
  output: unknown;
};

const ORDER = { orderId: "order-42", amount: 99.5 };

describe("POST /workflows/:workflow_name/instances", () => {
  it("creates an instance that runs on the Workflow binding", async ({ expect }) => {
    const id = uniqueId("hello");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    const response = await api<Summary & { version_id: string; workflow_id: string }>(
      "POST",
      "/workflows/hello-world/instances",
      {
        body: { instance_id: id, params: { name: "Ada" } },
      },
    );
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.result).toMatchObject({ id, status: "queued", trigger_source: "api" });
    await instance.waitForStatus("complete");
    expect(await instance.getOutput()).toEqual({ greeting: "Hello, Ada!" });
  });

  it("generates a UUID when no id is given, and accepts an empty body", async ({ expect }) => {
    await using workflow = await introspectWorkflow(env.HELLO_WORLD);
    const response = await api<Summary>("POST", "/workflows/hello-world/instances");
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.result.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const [instance] = await workflow.get();
    await instance?.waitForStatus("complete");
  });

  it("refuses an id that exists with 400 and code 10405", async ({ expect }) => {
    const id = uniqueId("dup");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await createInstance("hello-world", { instance_id: id, params: { name: "first" } });
    await instance.waitForStatus("complete");
    const error = errorOf(await api("POST", "/workflows/hello-world/instances", { body: { instance_id: id } }));
    expect(error).toMatchObject({ status: 400, code: 10405 });
    expect(error.message).toContain(id);
  });

  it("lets exactly one of many concurrent creates of one id succeed", async ({ expect }) => {
    const id = uniqueId("race");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => api("POST", "/workflows/hello-world/instances", { body: { instance_id: id } })),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([200, 400, 400, 400, 400, 400, 400, 400]);
    await instance.waitForStatus("complete");
  });

  it.for([
    ["an id with a space", { instance_id: "has space" }, "body.instance_id"],
    ["an id of 101 characters", { instance_id: "a".repeat(101) }, "body.instance_id"],
    ["an id starting with a dash", { instance_id: "-x" }, "body.instance_id"],
    ["a reserved cf_ id", { instance_id: `cf_${"a".repeat(64)}` }, "body.instance_id"],
    ["the reserved id batch", { instance_id: "batch" }, "body.instance_id"],
    ["params over 1 MiB", { params: { blob: "x".repeat(1024 * 1024) } }, "body.params"],
    ["an unknown location hint", { location_hint: "mars" }, "body.location_hint"],
    [
      "a retention that is no duration",
      { instance_retention: { error_retention: "forever" } },
      "body.instance_retention",
    ],
  ] as const)("refuses %s with 400 and creates nothing", async ([, body, field], { expect }) => {
    const before = await counts("hello-world");
    const error = errorOf(await api("POST", "/workflows/hello-world/instances", { body }));
    expect(error).toMatchObject({ status: 400, code: 10002 });
    expect(error.message).toContain(field);
    expect(await counts("hello-world")).toEqual(before);
  });

  it.for([
    ["a JSON-encoded string, as the SDK sends", JSON.stringify({ name: "Encoded" }), { name: "Encoded" }],
    ["an object, as wrangler sends", { name: "Object" }, { name: "Object" }],
    ["a plain string", "just a string", "just a string"],
    ["a number", 7, 7],
  ] as const)("takes params given as %s", async ([, params, payload], { expect }) => {
    const id = uniqueId("params");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await createInstance("hello-world", { instance_id: id, params });
    await instance.waitForStatus("complete");
    const details = await api<Details>("GET", `/workflows/hello-world/instances/${id}`);
    expect(details.body.result.params).toEqual(payload);
  });

  it("answers 404 for an unknown workflow", async ({ expect }) => {
    expect(errorOf(await api("POST", "/workflows/nowhere/instances", { body: {} }))).toMatchObject({
      status: 404,
      code: 10200,
    });
  });

  it("refuses a workflow this deployment does not bind with 400 and code 10201", async ({ expect }) => {
    const name = uniqueId("unbound");
    await putWorkflow(name);
    const error = errorOf(await api("POST", `/workflows/${name}/instances`, { body: {} }));
    expect(error).toMatchObject({ status: 400, code: 10201 });
    expect(error.message).toContain("[[workflows]]");
  });
});

describe("POST /workflows/:workflow_name/instances/batch", () => {
  it("creates many and skips ids that exist or repeat", async ({ expect }) => {
    await using workflow = await introspectWorkflow(env.HELLO_WORLD);
    const existing = uniqueId("exists");
    await createInstance("hello-world", { instance_id: existing });
    const fresh = [uniqueId("b1"), uniqueId("b2")];
    const response = await api<Summary[]>("POST", "/workflows/hello-world/instances/batch", {
      body: [
        { instance_id: fresh[0], params: { name: "one" } },
        { instance_id: existing },
        { instance_id: fresh[1], params: { name: "two" } },
        { instance_id: fresh[0], params: { name: "again" } },
        { params: { name: "anonymous" } },
      ],
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const ids = response.body.result.map((created) => created.id);
    expect(ids.slice(0, 2)).toEqual(fresh);
    expect(ids).toHaveLength(3);
    for (const instance of await workflow.get()) await instance.waitForStatus("complete");
    const first = await api<Details>("GET", `/workflows/hello-world/instances/${fresh[0]}`);
    expect(parsed(first.body.result.output)).toEqual({ greeting: "Hello, one!" });
  });

  it("creates the maximum of 100 in one call", async ({ expect }) => {
    await using workflow = await introspectWorkflow(env.HELLO_WORLD);
    const prefix = uniqueId("hundred");
    const body = Array.from({ length: 100 }, (_, index) => ({
      instance_id: `${prefix}-${index}`,
      params: { name: `${index}` },
    }));
    const response = await api<Summary[]>("POST", "/workflows/hello-world/instances/batch", { body });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.result).toHaveLength(100);
    for (const instance of await workflow.get()) await instance.waitForStatus("complete");
  });

  it("reports each item not created when asked in the binding's object form", async ({ expect }) => {
    await using workflow = await introspectWorkflow(env.HELLO_WORLD);
    const existing = uniqueId("exists");
    await createInstance("hello-world", { instance_id: existing });
    const fresh = uniqueId("fresh");
    const response = await api<BatchReport>("POST", "/workflows/hello-world/instances/batch", {
      body: {
        instances: [
          { instance_id: fresh, params: { name: "one" } },
          { instance_id: existing },
          { instance_id: fresh, params: { name: "again" } },
          { params: { name: "anonymous" } },
        ],
      },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const { created, errors } = response.body.result;
    expect(created.map((instance) => instance.id)).toEqual([fresh, expect.any(String)]);
    expect(created[0]).toMatchObject({ status: "queued", trigger_source: "api" });
    expect(errors).toEqual([
      { index: 1, id: existing, code: 10405, message: "workflows.api.error.instance.already_exists" },
      { index: 2, id: fresh, code: 10415, message: "workflows.api.error.instance.duplicate_in_batch" },
    ]);
    for (const instance of await workflow.get()) await instance.waitForStatus("complete");
    const first = await api<Details>("GET", `/workflows/hello-world/instances/${fresh}`);
    expect(parsed(first.body.result.output)).toEqual({ greeting: "Hello, one!" });
  });

  it("creates count instances with the same params", async ({ expect }) => {
    await using workflow = await introspectWorkflow(env.HELLO_WORLD);
    const response = await api<BatchReport>("POST", "/workflows/hello-world/instances/batch", {
      body: { count: 3, params: { name: "same" } },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.result.created).toHaveLength(3);
    expect(response.body.result.errors).toEqual([]);
    for (const instance of await workflow.get()) await instance.waitForStatus("complete");
    for (const { id } of response.body.result.created) {
      const details = await api<Details>("GET", `/workflows/hello-world/instances/${id}`);
      expect(parsed(details.body.result.output)).toEqual({ greeting: "Hello, same!" });
    }
  });

  it.for([
    ["an empty array", []],
    ["101 entries", Array.from({ length: 101 }, () => ({}))],
    ["an object instead of an array", { instance_id: "x" }],
    ["one bad id among good ones", [{ instance_id: "good-1" }, { instance_id: "bad id" }]],
    ["an empty instances list", { instances: [] }],
    ["a count of 0", { count: 0 }],
    ["a count of 101", { count: 101 }],
    ["both instances and count", { instances: [{}], count: 1 }],
    ["a misspelt key", { count: 2, parms: {} }],
    ["a misspelt key in an item", { instances: [{ instance_id: "good-2", parms: {} }] }],
    ["the binding's own field names", { instances: [{ id: "good-3" }] }],
    ["count × params over 10 MiB", { count: 11, params: { blob: "x".repeat(1024 * 1024 - 20) } }],
  ] as const)("refuses %s with 400 and creates nothing", async ([, body], { expect }) => {
    const before = await counts("hello-world");
    expect(errorOf(await api("POST", "/workflows/hello-world/instances/batch", { body }))).toMatchObject({
      status: 400,
      code: 10002,
    });
    expect(await counts("hello-world")).toEqual(before);
  });
});

describe("POST /workflows/:workflow_name/instances/batch refusals", () => {
  it.for([
    ["an item of the array", [{ location_hint: "mars" }], "body.0.location_hint"],
    ["an item of the object form", { instances: [{ instance_id: 5 }] }, "body.instances.0.instance_id"],
    ["the count form", { count: 0 }, "body.count"],
  ] as const)("names the field at fault in %s", async ([, body, field], { expect }) => {
    const error = errorOf(await api("POST", "/workflows/hello-world/instances/batch", { body }));
    expect(error).toMatchObject({ status: 400, code: 10002 });
    expect(error.message.startsWith(`${field}:`), error.message).toBe(true);
  });
});

describe("GET /workflows/:workflow_name/instances/:instance_id", () => {
  it("reports live state, output and times, and updates the index and counts", async ({ expect }) => {
    const id = uniqueId("live");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    const before = await counts("hello-world");
    await createInstance("hello-world", { instance_id: id, params: { name: "Grace" } });
    expect((await counts("hello-world")).queued).toBe(before.queued + 1);
    await instance.waitForStatus("complete");
    const response = await api<Details>("GET", `/workflows/hello-world/instances/${id}`);
    expect(response.body.result).toMatchObject({
      status: "complete",
      params: { name: "Grace" },
      trigger: { source: "api" },
      success: true,
      error: null,
      output: JSON.stringify({ greeting: "Hello, Grace!" }),
    });
    expect(response.body.result.end).not.toBeNull();
    const after = await counts("hello-world");
    expect(after.queued).toBe(before.queued);
    expect(after.complete).toBe(before.complete + 1);
  });

  it("reports an errored instance with its error", async ({ expect }) => {
    const id = uniqueId("bad-order");
    await using instance = await introspectWorkflowInstance(env.ORDER_APPROVAL, id);
    await createInstance("order-approval", { instance_id: id, params: { orderId: "", amount: 1 } });
    await instance.waitForStatus("errored");
    const response = await api<Details>("GET", `/workflows/order-approval/instances/${id}`);
    expect(response.body.result).toMatchObject({ status: "errored", success: false });
    expect(response.body.result.error?.message).toContain("params.orderId must be a non-empty string");
  });

  it("indexes an instance made straight through the binding", async ({ expect }) => {
    const id = uniqueId("direct");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await env.HELLO_WORLD.create({ id, params: { name: "binding" } });
    await instance.waitForStatus("complete");
    const response = await api<Details>("GET", `/workflows/hello-world/instances/${id}`);
    // The engine's events do not say what created an instance; only the API's own are "api".
    expect(response.body.result).toMatchObject({ status: "complete", trigger: { source: "unknown" } });
    const listed = await api<Summary[]>("GET", "/workflows/hello-world/instances?per_page=100");
    expect(listed.body.result.map((summary) => summary.id)).toContain(id);
  });

  it("answers 404 with code 10400 for an unknown instance", async ({ expect }) => {
    const error = errorOf(await api("GET", "/workflows/hello-world/instances/never-created"));
    expect(error).toMatchObject({ status: 404, code: 10400 });
    expect(error.message).toContain("never-created");
  });

  it("refuses an id outside the addressable pattern", async ({ expect }) => {
    expect(errorOf(await api("GET", "/workflows/hello-world/instances/semi;colon"))).toMatchObject({ status: 400 });
    expect(errorOf(await api("GET", `/workflows/hello-world/instances/${"a".repeat(272)}`))).toMatchObject({
      status: 400,
    });
  });
});

describe("PATCH /workflows/:workflow_name/instances/:instance_id/status", () => {
  it("pauses, resumes, terminates and restarts, keeping counts exact", async ({ expect }) => {
    await using workflow = await introspectWorkflow(env.ORDER_APPROVAL);
    const id = uniqueId("life");
    await createInstance("order-approval", { instance_id: id, params: ORDER });
    const [instance] = await workflow.get();
    await instance?.waitForStepResult({ name: "reserve inventory" });

    const pause = await api<{ status: string; timestamp: string }>(
      "PATCH",
      `/workflows/order-approval/instances/${id}/status`,
      {
        body: { status: "pause" },
      },
    );
    expect(pause.status, JSON.stringify(pause.body)).toBe(200);
    expect(["paused", "waitingForPause"]).toContain(pause.body.result.status);
    await instance?.waitForStatus("paused");

    const resume = await api<{ status: string }>("PATCH", `/workflows/order-approval/instances/${id}/status`, {
      body: { status: "resume" },
    });
    expect(resume.body.result.status).not.toBe("paused");

    const terminate = await api<{ status: string }>("PATCH", `/workflows/order-approval/instances/${id}/status`, {
      body: { status: "terminate" },
    });
    expect(terminate.body.result.status).toBe("terminated");
    const listed = await api<Summary[]>("GET", "/workflows/order-approval/instances?status=terminated&per_page=100");
    expect(listed.body.result.map((summary) => summary.id)).toContain(id);

    const restart = await api<{ status: string }>("PATCH", `/workflows/order-approval/instances/${id}/status`, {
      body: { status: "restart" },
    });
    expect(restart.status, JSON.stringify(restart.body)).toBe(200);
    expect(["queued", "running", "waiting"]).toContain(restart.body.result.status);
    const details = await api<Details>("GET", `/workflows/order-approval/instances/${id}`);
    expect(details.body.result.end).toBeNull();
  });

  it("lists and counts an instance as rollingBack while its rollback handlers run", async ({ expect }) => {
    const id = uniqueId("rolling");
    await using instance = await introspectWorkflowInstance(env.PROBE, id);
    await createInstance("probe", { instance_id: id, params: { rollback: true, rollbackMs: 3_000, waitFor: "go" } });
    await instance.waitForStepResult({ name: "prepare" });
    // The engine runs the rollback handlers inside the terminate call: look while it lasts.
    const terminating = api("PATCH", `/workflows/probe/instances/${id}/status`, {
      body: { status: "terminate", rollback: true },
    });
    await eventually(async () => {
      const read = await api<Details>("GET", `/workflows/probe/instances/${id}?simple=true`);
      expect(read.body.result.status).toBe("rollingBack");
    });
    const listed = await api<Summary[]>("GET", `/workflows/probe/instances?status=rollingBack&id_prefix=${id}`);
    expect(listed.body.result.map((summary) => [summary.id, summary.status])).toEqual([[id, "rollingBack"]]);
    expect((await counts("probe")).rollingBack).toBeGreaterThanOrEqual(1);
    const terminated = await terminating;
    expect(terminated.status, JSON.stringify(terminated.body)).toBe(200);
    await instance.waitForStatus("terminated");
  });

  it("refuses to terminate, pause or resume a finished instance with 409", async ({ expect }) => {
    const id = uniqueId("done");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await createInstance("hello-world", { instance_id: id });
    await instance.waitForStatus("complete");
    for (const status of ["terminate", "pause", "resume"]) {
      const error = errorOf(await api("PATCH", `/workflows/hello-world/instances/${id}/status`, { body: { status } }));
      expect(error, status).toMatchObject({ status: 409, code: 10409 });
    }
    const details = await api<Details>("GET", `/workflows/hello-world/instances/${id}`);
    expect(details.body.result.status).toBe("complete");
  });

  it("refuses a restart from a step that never ran with 400", async ({ expect }) => {
    const id = uniqueId("from");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await createInstance("hello-world", { instance_id: id });
    await instance.waitForStatus("complete");
    const error = errorOf(
      await api("PATCH", `/workflows/hello-world/instances/${id}/status`, {
        body: { status: "restart", from: { name: "no such step" } },
      }),
    );
    expect(error).toMatchObject({ status: 400, code: 10002 });
    expect(error.message).toContain("no such step");
  });

  it.for([
    ["an unknown action", { status: "explode" }],
    ["no status", {}],
    ["from with count 0", { status: "restart", from: { name: "x", count: 0 } }],
    ["from with an unknown type", { status: "restart", from: { name: "x", type: "loop" } }],
    ["rollback that is not a boolean", { status: "terminate", rollback: "yes" }],
  ] as const)("refuses %s with 400", async ([, body], { expect }) => {
    const error = errorOf(await api("PATCH", "/workflows/hello-world/instances/anything/status", { body }));
    expect(error).toMatchObject({ status: 400, code: 10002 });
  });

  it("answers 404 for an unknown instance", async ({ expect }) => {
    const error = errorOf(
      await api("PATCH", "/workflows/hello-world/instances/nobody/status", { body: { status: "pause" } }),
    );
    expect(error).toMatchObject({ status: 404, code: 10400 });
  });
});

describe("POST /workflows/:workflow_name/instances/:instance_id/events/:event_type", () => {
  it("delivers an approval that completes the order", async ({ expect }) => {
    await using workflow = await introspectWorkflow(env.ORDER_APPROVAL);
    await workflow.modifyAll(async (modifier) => {
      await modifier.disableSleeps();
    });
    const id = uniqueId("approve");
    await createInstance("order-approval", { instance_id: id, params: ORDER });
    const [instance] = await workflow.get();
    await instance?.waitForStepResult({ name: "reserve inventory" });
    const response = await api("POST", `/workflows/order-approval/instances/${id}/events/approval`, {
      body: { approved: true },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.result).toEqual({ instanceId: id, timestamp: expect.any(String) });
    const sentAt = Date.parse((response.body.result as { timestamp: string }).timestamp);
    expect(Math.abs(Date.now() - sentAt)).toBeLessThan(60_000);
    await instance?.waitForStatus("complete");
    const details = await api<Details>("GET", `/workflows/order-approval/instances/${id}`);
    expect(parsed(details.body.result.output)).toMatchObject({
      orderId: "order-42",
      approved: true,
      outcome: "confirmed",
    });
  });

  it("accepts an empty body as an event without payload", async ({ expect }) => {
    await using workflow = await introspectWorkflow(env.ORDER_APPROVAL);
    await workflow.modifyAll(async (modifier) => {
      await modifier.disableSleeps();
    });
    const id = uniqueId("empty");
    await createInstance("order-approval", { instance_id: id, params: ORDER });
    const [instance] = await workflow.get();
    await instance?.waitForStepResult({ name: "reserve inventory" });
    const response = await api("POST", `/workflows/order-approval/instances/${id}/events/approval`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    await instance?.waitForStatus("complete");
    expect(await instance?.getOutput()).toMatchObject({ approved: false, outcome: "rejected" });
  });

  it("refuses events to a finished instance with 409", async ({ expect }) => {
    const id = uniqueId("late");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await createInstance("hello-world", { instance_id: id });
    await instance.waitForStatus("complete");
    const error = errorOf(await api("POST", `/workflows/hello-world/instances/${id}/events/approval`, { body: {} }));
    expect(error).toMatchObject({ status: 409, code: 10409 });
  });

  it.for([
    ["malformed JSON", "/events/approval", "{nope"],
    ["a payload over 1 MiB", "/events/approval", JSON.stringify({ blob: "x".repeat(1024 * 1024) })],
    ["an event type with a space", "/events/has%20space", "{}"],
    ["an event type of 101 characters", `/events/${"e".repeat(101)}`, "{}"],
  ] as const)("refuses %s with 400", async ([, suffix, rawBody], { expect }) => {
    const response = await api("POST", `/workflows/hello-world/instances/anyone${suffix}`, {
      rawBody,
      headers: { "Content-Type": "application/json" },
    });
    expect(errorOf(response)).toMatchObject({ status: 400, code: 10002 });
  });

  it("answers 404 for an unknown instance", async ({ expect }) => {
    const error = errorOf(await api("POST", "/workflows/hello-world/instances/ghost/events/approval", { body: {} }));
    expect(error).toMatchObject({ status: 404, code: 10400 });
  });
});

describe("DELETE /workflows/:workflow_name/instances/:instance_id", () => {
  it("deletes the instance, its index entry and its journal", async ({ expect }) => {
    const id = uniqueId("gone");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await createInstance("hello-world", { instance_id: id });
    await instance.waitForStatus("complete");
    const response = await api<{ instanceId: string; timestamp: string }>(
      "DELETE",
      `/workflows/hello-world/instances/${id}`,
    );
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.result.instanceId).toBe(id);
    expect(errorOf(await api("GET", `/workflows/hello-world/instances/${id}`))).toMatchObject({ status: 404 });
    const listed = await api<Summary[]>("GET", "/workflows/hello-world/instances?per_page=100");
    expect(listed.body.result.map((summary) => summary.id)).not.toContain(id);
    const snapshot = await journal("hello-world", id).snapshot();
    expect(snapshot.stepCount).toBe(0);
  });

  it("answers 404 for an unknown instance", async ({ expect }) => {
    expect(errorOf(await api("DELETE", "/workflows/hello-world/instances/not-there"))).toMatchObject({
      status: 404,
      code: 10400,
    });
  });
});

describe("POST /workflows/:workflow_name/instances/batch/delete", () => {
  it("deletes many, reporting one outcome per input position", async ({ expect }) => {
    await using workflow = await introspectWorkflow(env.HELLO_WORLD);
    const ids = [uniqueId("bd1"), uniqueId("bd2")];
    for (const id of ids) await createInstance("hello-world", { instance_id: id });
    for (const instance of await workflow.get()) await instance.waitForStatus("complete");
    const response = await api<{ deleted: { id: string }[]; errors: { id: string; code: number }[] }>(
      "POST",
      "/workflows/hello-world/instances/batch/delete",
      { body: { instances: [ids[0], "missing-one", ids[1], ids[0]] } },
    );
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.result.deleted.map((entry) => entry.id)).toEqual([ids[0], ids[1], ids[0]]);
    expect(response.body.result.errors).toEqual([expect.objectContaining({ id: "missing-one", code: 10400 })]);
    const listed = await api<Summary[]>("GET", "/workflows/hello-world/instances?per_page=100");
    expect(listed.body.result.map((summary) => summary.id)).not.toContain(ids[0]);
  });

  it.for([
    ["no ids", { instances: [] }],
    ["101 ids", { instances: Array.from({ length: 101 }, (_, index) => `id-${index}`) }],
    ["an invalid id", { instances: ["fine", "semi;colon"] }],
    ["a bare array", ["a"]],
  ] as const)("refuses %s with 400", async ([, body], { expect }) => {
    expect(errorOf(await api("POST", "/workflows/hello-world/instances/batch/delete", { body }))).toMatchObject({
      status: 400,
      code: 10002,
    });
  });
});
