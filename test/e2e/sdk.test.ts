import Cloudflare from "cloudflare";
import { describe, expect, inject, it } from "vitest";
import { unique } from "./ids.ts";
import { untilStatus } from "./poll.ts";

const { baseUrl, token, accountId } = inject("controlPlane");
const cloudflare = new Cloudflare({ apiToken: token, baseURL: baseUrl, maxRetries: 0 });
const account_id = accountId;

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of pages) items.push(item);
  return items;
}

describe("the official cloudflare SDK", () => {
  it("lists and gets the demo workflows with their counts", async () => {
    const names = (await collect(cloudflare.workflows.list({ account_id }))).map((workflow) => workflow.name);
    expect(names).toEqual(expect.arrayContaining(["hello-world", "order-approval"]));
    const workflow = await cloudflare.workflows.get("order-approval", { account_id });
    expect(workflow.class_name).toBe("OrderApprovalWorkflow");
    expect(workflow.instances).toHaveProperty("waiting");
  });

  it("updates, versions and deletes a workflow", async () => {
    const name = unique("sdk-wf");
    const created = await cloudflare.workflows.update(name, {
      account_id,
      class_name: "Billing",
      script_name: "billing",
    });
    const updated = await cloudflare.workflows.update(name, {
      account_id,
      class_name: "Billing2",
      script_name: "billing",
    });
    expect(updated.id).toBe(created.id);
    expect(updated.version_id).not.toBe(created.version_id);
    const versions = await collect(cloudflare.workflows.versions.list(name, { account_id }));
    expect(versions.map((version) => version.id)).toEqual([updated.version_id, created.version_id]);
    const version = await cloudflare.workflows.versions.get(created.version_id, { account_id, workflow_name: name });
    expect(version.class_name).toBe("Billing");
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
    expect(created.status).toBe("queued");
    const ids = [unique("sdk-a"), unique("sdk-b")];
    const bulk = await collect(
      cloudflare.workflows.instances.bulk("hello-world", {
        account_id,
        body: ids.map((instance_id) => ({ instance_id, params: JSON.stringify({ name: instance_id }) })),
      }),
    );
    expect(bulk.map((instance) => instance.id)).toEqual(ids);
    const details = await untilStatus(
      () => cloudflare.workflows.instances.get(created.id, { account_id, workflow_name: "hello-world" }),
      "complete",
    );
    expect(details.output).toEqual({ greeting: "Hello, SDK!" });
    const listed = await collect(cloudflare.workflows.instances.list("hello-world", { account_id, per_page: 2 }));
    expect(listed.map((instance) => instance.id)).toEqual(expect.arrayContaining([created.id, ...ids]));
  });

  it("pauses, resumes and sends an event that completes an order", async () => {
    const workflow_name = "order-approval";
    const { id } = await cloudflare.workflows.instances.create(workflow_name, {
      account_id,
      instance_id: unique("sdk-order"),
      params: JSON.stringify({ orderId: "sdk-order", amount: 10 }),
    });
    const paused = await cloudflare.workflows.instances.status.edit(id, { account_id, workflow_name, status: "pause" });
    expect(["paused", "waitingForPause"]).toContain(paused.status);
    await untilStatus(() => cloudflare.workflows.instances.get(id, { account_id, workflow_name }), "paused");
    const resumed = await cloudflare.workflows.instances.status.edit(id, {
      account_id,
      workflow_name,
      status: "resume",
    });
    expect(resumed.status).not.toBe("paused");
    await cloudflare.workflows.instances.events.create("approval", {
      account_id,
      workflow_name,
      instance_id: id,
      body: { approved: true },
    });
    const done = await untilStatus(
      () => cloudflare.workflows.instances.get(id, { account_id, workflow_name }),
      "complete",
    );
    expect(done.output).toMatchObject({ approved: true, outcome: "confirmed" });
  });

  it("surfaces the API's errors", async () => {
    await expect(
      cloudflare.workflows.instances.get("does-not-exist", { account_id, workflow_name: "hello-world" }),
    ).rejects.toMatchObject({ status: 404, errors: [expect.objectContaining({ code: 10400 })] });
    const bad = new Cloudflare({ apiToken: "wrong", baseURL: baseUrl, maxRetries: 0 });
    await expect(bad.workflows.list({ account_id }).then((page) => page.result)).rejects.toMatchObject({ status: 401 });
  });
});
