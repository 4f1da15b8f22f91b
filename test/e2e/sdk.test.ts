import Cloudflare from "cloudflare";
import { describe, expect, inject, it } from "vitest";
import type { z } from "zod";
import { unique } from "./ids.ts";
import { untilStatus } from "./poll.ts";

const { baseUrl, token, accountId } = inject("controlPlane");
const cloudflare = new Cloudflare({ apiToken: token, baseURL: baseUrl, maxRetries: 0 });
const account_id = accountId;

/**
 * This API's wire schemas, loaded as vitest loads the Worker's sources. They are written for
 * the Worker's compiler settings, not these Node ones, so they are imported by URL; tsc holds
 * them to the SDK's types in test/sdk/wire-types.ts.
 */
async function schemasOf(file: string): Promise<Record<string, z.ZodType>> {
  return import(new URL(`../../src/schemas/${file}`, import.meta.url).href);
}
const { EventSent, InstanceCreated, InstanceDetails, InstanceSummary, StatusChangeResult, StepOutput } =
  await schemasOf("instances.ts");
const { Version, VersionGraph } = await schemasOf("versions.ts");
const { Workflow, WorkflowUpdate } = await schemasOf("workflows.ts");

/**
 * Checks what the SDK received against this API's wire schema, which test/sdk/wire-types.ts
 * holds to the SDK's own types: a field of the wrong type fails here, not in a user's code.
 */
function expectWire<T>(schema: z.ZodType | undefined, value: T): T {
  if (!schema) throw new Error("no such wire schema");
  const checked = schema.safeParse(value);
  expect(checked.success, JSON.stringify(checked.error?.issues)).toBe(true);
  return value;
}

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of pages) items.push(item);
  return items;
}

describe("the official cloudflare SDK", () => {
  it("lists and gets the demo workflows with their counts", async () => {
    const names = (await collect(cloudflare.workflows.list({ account_id }))).map((workflow) => workflow.name);
    expect(names).toEqual(expect.arrayContaining(["hello-world", "order-approval"]));
    const workflow = expectWire(Workflow, await cloudflare.workflows.get("order-approval", { account_id }));
    expect(workflow.class_name).toBe("OrderApprovalWorkflow");
    expect(workflow.instances).toHaveProperty("waiting");
    expect(workflow.instances).toHaveProperty("rollingBack");
  });

  it("updates, versions and deletes a workflow", async () => {
    const name = unique("sdk-wf");
    const created = await cloudflare.workflows.update(name, {
      account_id,
      class_name: "Billing",
      script_name: "billing",
    });
    expectWire(WorkflowUpdate, created);
    const updated = await cloudflare.workflows.update(name, {
      account_id,
      class_name: "Billing2",
      script_name: "billing",
    });
    expect(updated.id).toBe(created.id);
    expect(updated.version_id).not.toBe(created.version_id);
    const versions = await collect(cloudflare.workflows.versions.list(name, { account_id }));
    expect(versions.map((version) => version.id)).toEqual([updated.version_id, created.version_id]);
    for (const listed of versions) expectWire(Version, listed);
    const version = await cloudflare.workflows.versions.get(created.version_id, { account_id, workflow_name: name });
    expect(expectWire(Version, version).class_name).toBe("Billing");
    const graph = await cloudflare.workflows.versions.graph(created.version_id, { account_id, workflow_name: name });
    expect(expectWire(VersionGraph, graph)).toMatchObject({ id: created.version_id, graph: null });
    expect(await cloudflare.workflows.delete(name, { account_id })).toEqual({ status: "ok", success: true });
    await expect(cloudflare.workflows.get(name, { account_id })).rejects.toMatchObject({
      status: 404,
      errors: [expect.objectContaining({ code: 10200 })],
    });
  });

  it("creates, bulk-creates, lists and gets instances", async () => {
    const created = await cloudflare.workflows.instances.create("hello-world", {
      account_id,
      params: JSON.stringify({ name: "SDK" }),
    });
    expect(expectWire(InstanceCreated, created).status).toBe("queued");
    const ids = [unique("sdk-a"), unique("sdk-b")];
    const bulk = await collect(
      cloudflare.workflows.instances.bulk("hello-world", {
        account_id,
        body: ids.map((instance_id) => ({ instance_id, params: JSON.stringify({ name: instance_id }) })),
      }),
    );
    expect(bulk.map((instance) => expectWire(InstanceCreated, instance).id)).toEqual(ids);
    const details = await untilStatus(
      () => cloudflare.workflows.instances.get(created.id, { account_id, workflow_name: "hello-world" }),
      "complete",
    );
    expectWire(InstanceDetails, details);
    // Cloudflare's API gives the output as JSON text (a string, in the SDK's type).
    expect(typeof details.output === "string" && JSON.parse(details.output)).toEqual({ greeting: "Hello, SDK!" });
    const listed = await collect(cloudflare.workflows.instances.list("hello-world", { account_id, per_page: 2 }));
    expect(listed.map((instance) => expectWire(InstanceSummary, instance).id)).toEqual(
      expect.arrayContaining([created.id, ...ids]),
    );
    const rollingBack = await cloudflare.workflows.instances.list("hello-world", { account_id, status: "rollingBack" });
    expect(rollingBack.result).toEqual([]);
  });

  it("reaches what the SDK has no method for: batch create's object form, a version's DAG", async () => {
    const id = unique("sdk-batch");
    const batch = await cloudflare.post<{ result: { created: { id: string }[]; errors: unknown[] } }>(
      `/accounts/${account_id}/workflows/hello-world/instances/batch`,
      { body: { instances: [{ instance_id: id }, { instance_id: id }] } },
    );
    expect(batch.result.created.map((instance) => expectWire(InstanceCreated, instance).id)).toEqual([id]);
    expect(batch.result.errors).toEqual([
      { index: 1, id, code: 10415, message: "workflows.api.error.instance.duplicate_in_batch" },
    ]);
    const [latest] = await collect(cloudflare.workflows.versions.list("hello-world", { account_id }));
    if (!latest) throw new Error("hello-world has no version");
    const dag = await cloudflare.get<{ result: { id: string; dag: null } }>(
      `/accounts/${account_id}/workflows/hello-world/versions/${latest.id}/dag`,
    );
    expect(dag.result).toMatchObject({ id: latest.id, class_name: "HelloWorldWorkflow", dag: null });
  });

  it("pauses, resumes and sends an event that completes an order", async () => {
    const workflow_name = "order-approval";
    const { id } = await cloudflare.workflows.instances.create(workflow_name, {
      account_id,
      instance_id: unique("sdk-order"),
      params: JSON.stringify({ orderId: "sdk-order", amount: 10 }),
    });
    const paused = await cloudflare.workflows.instances.status.edit(id, { account_id, workflow_name, status: "pause" });
    expect(["paused", "waitingForPause"]).toContain(expectWire(StatusChangeResult, paused).status);
    await untilStatus(() => cloudflare.workflows.instances.get(id, { account_id, workflow_name }), "paused");
    const resumed = await cloudflare.workflows.instances.status.edit(id, {
      account_id,
      workflow_name,
      status: "resume",
    });
    expect(resumed.status).not.toBe("paused");
    const sent = await cloudflare.workflows.instances.events.create("approval", {
      account_id,
      workflow_name,
      instance_id: id,
      body: { approved: true },
    });
    expect(expectWire(EventSent, sent).instanceId).toBe(id);
    expect(Math.abs(Date.now() - Date.parse(sent.timestamp))).toBeLessThan(60_000);
    const done = await untilStatus(
      () => cloudflare.workflows.instances.get(id, { account_id, workflow_name }),
      "complete",
    );
    expectWire(InstanceDetails, done);
    expect(JSON.parse(String(done.output))).toMatchObject({ approved: true, outcome: "confirmed" });
    const reserve = done.steps.find((step) => step.type === "step" && step.name === "reserve inventory-1");
    expect(reserve).toMatchObject({ output: JSON.stringify({ reservationId: "reservation-sdk-order" }) });
    const wait = done.steps.find((step) => step.type === "waitForEvent");
    expect(wait).toMatchObject({ finished: true, event_type: "approval" });
    const step = await cloudflare.workflows.instances.step(id, {
      account_id,
      workflow_name,
      name: "reserve inventory-1",
      type: "step",
    });
    expect(expectWire(StepOutput, step)).toMatchObject({
      status: "complete",
      output: { reservationId: "reservation-sdk-order" },
    });
  });

  it("surfaces the API's errors", async () => {
    await expect(
      cloudflare.workflows.instances.get("does-not-exist", { account_id, workflow_name: "hello-world" }),
    ).rejects.toMatchObject({ status: 404, errors: [expect.objectContaining({ code: 10400 })] });
    const bad = new Cloudflare({ apiToken: "wrong", baseURL: baseUrl, maxRetries: 0 });
    await expect(bad.workflows.list({ account_id }).then((page) => page.result)).rejects.toMatchObject({ status: 401 });
  });
});
