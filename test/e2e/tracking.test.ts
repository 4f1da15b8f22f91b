import Cloudflare from "cloudflare";
import { describe, expect, inject, it } from "vitest";
import { until, untilStatus } from "./poll.ts";
import { runWrangler } from "./wrangler-cli.ts";

const { baseUrl, token, accountId } = inject("controlPlane");
const cloudflare = new Cloudflare({ apiToken: token, baseURL: baseUrl, maxRetries: 0 });
const account_id = accountId;
const workflow_name = "order-approval";

async function counts() {
  return (await cloudflare.workflows.get(workflow_name, { account_id })).instances;
}

async function listedAs(status: "waiting" | "complete", id: string): Promise<void> {
  await until(
    async () => {
      for await (const instance of cloudflare.workflows.instances.list(workflow_name, {
        account_id,
        status,
        per_page: 100,
      })) {
        if (instance.id === id) return true;
      }
      return false;
    },
    (listed) => listed,
    20_000,
    () => `${id} was not listed as ${status}`,
  );
}

describe("a tracked order under npm run dev", () => {
  it("is listed as waiting, shows its timeline, and moves the counts as it proceeds", async () => {
    const before = await counts();
    const { id } = await cloudflare.workflows.instances.create(workflow_name, {
      account_id,
      instance_id: `e2e-order-${Date.now()}`,
      params: JSON.stringify({ orderId: "e2e", amount: 30 }),
    });
    await listedAs("waiting", id);
    const waiting = await counts();
    expect(waiting.waiting).toBe((before.waiting ?? 0) + 1);

    // Waiting first on the two-second sleep, then on the approval.
    const details = await until(
      () => cloudflare.workflows.instances.get(id, { account_id, workflow_name }),
      (current) => current.steps.length === 4 && current.status === "waiting",
      30_000,
      (last) => `still ${last?.status} with ${last?.steps.length} steps after 30000 ms, waiting for the approval`,
    );
    expect(details.steps.map((step) => ("name" in step ? step.name : step.type))).toEqual([
      "validate order-1",
      "reserve inventory-1",
      "cool off before asking for approval-1",
      "wait for approval-1",
    ]);
    const reserve = details.steps[1];
    expect(reserve && "attempts" in reserve ? reserve.attempts : []).toEqual([
      expect.objectContaining({ success: true, error: null }),
    ]);

    const { stdout } = await runWrangler("instances", "describe", workflow_name, id);
    expect(stdout).toMatch(/Status:\s+⏰ Waiting/);
    expect(stdout).toContain("reserve inventory-1");
    expect(stdout).toContain("wait for approval-1");

    await cloudflare.workflows.instances.events.create("approval", {
      account_id,
      workflow_name,
      instance_id: id,
      body: { approved: true },
    });
    await untilStatus(() => cloudflare.workflows.instances.get(id, { account_id, workflow_name }), "complete");
    await listedAs("complete", id);
    const after = await counts();
    expect(after.waiting).toBe(before.waiting ?? 0);
    expect(after.complete).toBe((before.complete ?? 0) + 1);
  });
});
