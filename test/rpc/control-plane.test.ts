import { introspectWorkflow, introspectWorkflowInstance } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { ControlPlane } from "../../src/rpc/control-plane";
import { ControlPlaneError } from "../../src/rpc/errors";
import { api, audit, errorOf, parsed, uniqueId } from "../helpers/api";
import { eventually } from "../helpers/eventually";

const controlPlane = env.CONTROL_PLANE;
const PATCH_LABELS = "PATCH /workflows/:workflow_name/instances/:instance_id/labels";

/** What a failing RPC call threw, read back as a ControlPlaneError. */
async function rpcError(call: Promise<unknown>) {
  try {
    await call;
  } catch (error) {
    const failure = ControlPlaneError.from(error);
    if (!failure) throw new Error(`not a ControlPlaneError: ${String(error)}`);
    return { code: failure.code, message: failure.message };
  }
  throw new Error("the call did not fail");
}

describe("ControlPlane over a service binding", () => {
  it("runs an order from creation to completion, as REST would", async ({ expect }) => {
    const id = uniqueId("rpc-order");
    await using instance = await introspectWorkflowInstance(env.ORDER_APPROVAL, id);
    await instance.modify(async (m) => {
      await m.disableSleeps();
    });
    const created = await controlPlane.createInstance("order-approval", {
      instance_id: id,
      params: { orderId: "rpc", amount: 5 },
    });
    expect(created).toMatchObject({ id, status: "queued", trigger_source: "api" });
    await instance.waitForStepResult({ name: "reserve inventory" });
    expect(await controlPlane.sendEvent("order-approval", id, "approval", { approved: true })).toMatchObject({
      instanceId: id,
    });
    await instance.waitForStatus("complete");
    const details = await controlPlane.getInstance("order-approval", id);
    expect(details.status).toBe("complete");
    expect(parsed(details.output)).toMatchObject({ outcome: "confirmed" });
    expect(details.steps.length).toBeGreaterThanOrEqual(4);
    const listed = await eventually(async () => {
      const page = await controlPlane.listInstances("order-approval", { status: "complete", id_prefix: id });
      if (page.result.length === 0) throw new Error("not indexed yet");
      return page;
    });
    expect(listed.result.map((summary) => summary.id)).toEqual([id]);
    expect(listed.result_info).toMatchObject({ count: 1 });
  });

  it("creates a batch in the binding's object form and reports what it did not create", async ({ expect }) => {
    await using workflow = await introspectWorkflow(env.HELLO_WORLD);
    const id = uniqueId("rpc-batch");
    const listed = await controlPlane.createBatch("hello-world", {
      instances: [{ instance_id: id }, { instance_id: id, params: { name: "twice" } }],
    });
    expect(listed.created.map((instance) => instance.id)).toEqual([id]);
    expect(listed.errors).toEqual([
      { index: 1, id, code: 10415, message: "workflows.api.error.instance.duplicate_in_batch" },
    ]);
    const counted = await controlPlane.createBatch("hello-world", { count: 2, params: { name: "rpc" } });
    expect(counted.created).toHaveLength(2);
    expect(counted.errors).toEqual([]);
    for (const instance of await workflow.get()) await instance.waitForStatus("complete");
    expect(await rpcError(controlPlane.createBatch("hello-world", { count: 0 }))).toMatchObject({ code: 10002 });
  });

  it("reads workflows and versions", async ({ expect }) => {
    const workflows = await controlPlane.listWorkflows();
    expect(workflows.result.map((workflow) => workflow.name)).toEqual(expect.arrayContaining(["hello-world"]));
    const workflow = await controlPlane.getWorkflow("hello-world");
    const versions = await controlPlane.listVersions("hello-world");
    expect(versions.result[0]).toMatchObject({ workflow_id: workflow.id });
  });

  it.for([
    [
      "an unknown workflow",
      () => controlPlane.getWorkflow("no-such-workflow"),
      () => api("GET", "/workflows/no-such-workflow"),
    ],
    [
      "an invalid instance id",
      () => controlPlane.createInstance("hello-world", { instance_id: "has space" }),
      () => api("POST", "/workflows/hello-world/instances", { body: { instance_id: "has space" } }),
    ],
    [
      "an unknown instance",
      () => controlPlane.changeInstanceStatus("hello-world", "nobody-home", { status: "pause" }),
      () => api("PATCH", "/workflows/hello-world/instances/nobody-home/status", { body: { status: "pause" } }),
    ],
    [
      "an unknown status action",
      () => controlPlane.changeInstanceStatus("hello-world", "x", { status: "explode" } as never),
      () => api("PATCH", "/workflows/hello-world/instances/x/status", { body: { status: "explode" } }),
    ],
  ] as const)("fails on %s with the REST error's code and message", async ([, rpc, rest], { expect }) => {
    const viaRest = errorOf(await rest());
    const viaRpc = await rpcError(rpc());
    expect(viaRpc).toEqual({ code: viaRest.code, message: viaRest.message });
  });

  it("records its mutations in the audit trail under the caller its binding names", async ({ expect }) => {
    const id = uniqueId("rpc-audit");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await controlPlane.createInstance("hello-world", { instance_id: id });
    await instance.waitForStatus("complete");
    await rpcError(controlPlane.changeInstanceStatus("hello-world", id, { status: "pause", reason: "testing" }));
    const trail = await eventually(async () => {
      const mine = (await audit("workflow=hello-world")).filter((record) => record.instance_id === id);
      if (mine.length < 2) throw new Error("not recorded yet");
      return mine;
    });
    expect(trail).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: "POST /workflows/:workflow_name/instances",
          outcome: "success",
          actor: expect.objectContaining({ id: "rpc:workflow-control-plane" }),
        }),
        expect.objectContaining({
          action: "PATCH /workflows/:workflow_name/instances/:instance_id/status",
          outcome: "failure",
          reason: "testing",
        }),
      ]),
    );
  });

  it("previews a bulk job without starting one, and refuses dry_run to createBulkJob", async ({ expect }) => {
    await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
    const id = uniqueId("rpc-preview");
    await controlPlane.createInstance("order-approval", { instance_id: id, params: { orderId: id, amount: 1 } });
    const jobs = (await controlPlane.listBulkJobs("order-approval")).result_info.total_count;
    const preview = await controlPlane.previewBulkJob("order-approval", {
      action: "pause",
      instance_ids: [id, "gone"],
    });
    expect(preview).toMatchObject({ total: 2, would_act: 1, would_skip: 1 });
    expect(
      await rpcError(
        controlPlane.createBulkJob("order-approval", { action: "pause", instance_ids: [id], dry_run: true }),
      ),
    ).toMatchObject({ code: 10002 });
    expect((await controlPlane.listBulkJobs("order-approval")).result_info.total_count).toBe(jobs);
  });

  it("creates with labels, lists by selector, relabels and counts, audited as rpc", async ({ expect }) => {
    const id = uniqueId("rpc-labelled");
    const tenant = uniqueId("tenant");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await controlPlane.createInstance("hello-world", { instance_id: id, params: { name: "rpc" }, labels: { tenant } });
    await instance.waitForStatus("complete");
    // A read brings the index up to the engine's status.
    await controlPlane.getInstance("hello-world", id);
    const listed = await controlPlane.listInstances("hello-world", { labels: `tenant=${tenant}` });
    expect(listed.result.map((item) => [item.id, item.labels])).toEqual([[id, { tenant }]]);
    expect(await controlPlane.patchLabels("hello-world", id, { set: { stage: "done" } })).toEqual({
      id,
      labels: { tenant, stage: "done" },
    });
    const counts = await controlPlane.countInstances("hello-world", {
      group_by: "label:stage",
      labels: `tenant=${tenant}`,
    });
    expect(counts.groups).toMatchObject([{ key: { labels: { stage: "done" } }, instances: { complete: 1 } }]);
    expect(await rpcError(controlPlane.listInstances("hello-world", { labels: "tenant in (" }))).toMatchObject({
      code: 10002,
      message: expect.stringContaining("at position 11"),
    });
    const records = await audit(`workflow=hello-world&action=${encodeURIComponent(PATCH_LABELS)}`);
    expect(records.find((record) => record.instance_id === id)).toMatchObject({
      actor: { type: "rpc" },
      outcome: "success",
    });
  });

  it("exposes exactly the API's operations as public methods", ({ expect }) => {
    const methods = Object.getOwnPropertyNames(ControlPlane.prototype).filter((name) => name !== "constructor");
    expect(methods.sort()).toEqual(
      [
        "bulkJobResults",
        "cancelBulkJob",
        "changeInstanceStatus",
        "countInstances",
        "createBatch",
        "createBulkJob",
        "createInstance",
        "createInstances",
        "deleteInstance",
        "deleteInstances",
        "deleteWorkflow",
        "getBulkJob",
        "getInstance",
        "getInstanceStep",
        "getSettings",
        "getVersion",
        "getWorkflow",
        "listBulkJobs",
        "listInstances",
        "listVersions",
        "listWorkflows",
        "putWorkflow",
        "nudge",
        "patchLabels",
        "previewBulkJob",
        "subscribe",
        "sendEvent",
        "updateSettings",
      ].sort(),
    );
  });
});

describe("ControlPlane.subscribe", () => {
  it("streams an instance's events as the binding's own subscription does", async ({ expect }) => {
    const id = uniqueId("rpc-stream");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await controlPlane.createInstance("hello-world", { instance_id: id });
    await instance.waitForStatus("complete");
    using subscription = await controlPlane.subscribe("hello-world", id, { filter: ["step_completed"] });
    const first = await subscription.next();
    expect(first).toMatchObject({ done: false, value: { type: "step_completed", stepName: "compose greeting-1" } });
    expect(await subscription.next()).toEqual({ done: true, value: undefined });
  });

  it("fails as REST does for an unknown instance", async ({ expect }) => {
    expect(await rpcError(controlPlane.subscribe("hello-world", "ghost"))).toMatchObject({ code: 10400 });
  });
});
