import { evictDurableObject, introspectWorkflow, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { BulkAction } from "../../src/db/schema";
import type { BulkOptions, BulkResult } from "../../src/domain/bulk";
import type { BulkJob } from "../../src/services/bulk/bulk-job";
import { createInstance, uniqueId } from "../helpers/api";
import { eventually } from "../helpers/eventually";

/**
 * A job driven by hand: created and sealed without the alarm `start()` sets, so it works only
 * when the test runs its alarm (`runDurableObjectAlarm`).
 */
async function manualJob(
  workflowName: string,
  instanceIds: string[],
  { action = "terminate", options }: { action?: BulkAction; options?: BulkOptions } = {},
) {
  const id = crypto.randomUUID();
  const stub = env.BULK_JOB.getByName(id);
  await stub.init({ id, workflowName, kind: "bulk", action, options, filter: null, createdOn: Date.now() });
  await stub.append(instanceIds);
  await runInDurableObject(stub, async (_: BulkJob, state) => {
    state.storage.sql.exec("UPDATE job SET sealed = 1");
    await state.storage.setAlarm(Date.now() + 60 * 60_000);
  });
  return stub;
}

async function ledger(stub: DurableObjectStub<BulkJob>): Promise<BulkResult[]> {
  const { results } = await stub.results({ after: 0, limit: 10_000 });
  return results;
}

describe("BulkJob", () => {
  it("finishes with every item accounted for exactly once across an eviction mid-job", async ({ expect }) => {
    await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
    const real = Array.from({ length: 3 }, () => uniqueId("evict"));
    for (const id of real)
      await createInstance("order-approval", { instance_id: id, params: { orderId: id, amount: 1 } });
    // Enough that the job spans several alarms (each works up to five seconds) and so is seen
    // part-way: reads of the job are answered between alarms.
    const absent = Array.from({ length: 4800 }, (_, index) => `absent-${index}`);
    const id = crypto.randomUUID();
    const stub = env.BULK_JOB.getByName(id);
    await stub.init({
      id,
      workflowName: "order-approval",
      kind: "bulk",
      action: "terminate",
      filter: null,
      createdOn: Date.now(),
    });
    await stub.append([...absent.slice(0, 2400), ...real, ...absent.slice(2400)]);
    await stub.start();

    const midway = await eventually(async () => {
      const view = await stub.view();
      if (view.total - view.pending < 300) throw new Error("not far enough yet");
      return view;
    });
    expect(midway.status).toBe("running");
    expect(midway.pending).toBeGreaterThan(0);
    await evictDurableObject(stub);

    // Reading the job re-arms its alarm should the eviction have lost it; the job then ends.
    const done = await eventually(async () => {
      const view = await stub.view();
      if (view.status !== "complete") throw new Error(`still ${view.status}`);
      return view;
    }, 60_000);
    expect(done).toMatchObject({ total: 4803, succeeded: 3, skipped: 4800, failed: 0, pending: 0 });
    const rows = await ledger(stub);
    expect(rows).toHaveLength(4803);
    expect(new Set(rows.map((row) => row.instance_id)).size).toBe(4803);
    expect(
      rows
        .filter((row) => row.outcome === "succeeded")
        .map((row) => row.instance_id)
        .sort(),
    ).toEqual([...real].sort());
  }, 90_000);

  it("counts an action taken before an interruption as succeeded, not skipped", async ({ expect }) => {
    await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
    const id = uniqueId("interrupted");
    await createInstance("order-approval", { instance_id: id, params: { orderId: id, amount: 1 } });
    const stub = await manualJob("order-approval", [id]);
    // As if the process died after terminating the instance but before recording it.
    await (await env.ORDER_APPROVAL.get(id)).terminate();
    await runInDurableObject(stub, (_: BulkJob, state) => {
      state.storage.sql.exec("UPDATE items SET in_flight = 1, attempts = 1");
    });
    await runDurableObjectAlarm(stub);
    const [row] = await ledger(stub);
    expect(row).toMatchObject({
      instance_id: id,
      outcome: "succeeded",
      reason: "took effect before the job was interrupted",
      status_before: "terminated",
      attempts: 2,
    });
  });

  it.for([
    { action: "pause", effect: (handle: WorkflowInstance) => handle.pause() },
    { action: "delete", effect: (handle: WorkflowInstance) => handle.delete() },
    {
      action: "terminate",
      options: { rollback: true },
      effect: (handle: WorkflowInstance) => handle.terminate({ rollback: true }),
    },
  ] as const)(
    "counts a $action taken before an interruption once, as succeeded",
    async ({ action, effect, ...rest }, { expect }) => {
      await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
      const id = uniqueId(`interrupted-${action}`);
      await createInstance("order-approval", { instance_id: id, params: { orderId: id, amount: 1 } });
      const stub = await manualJob("order-approval", [id], { action, options: "options" in rest ? rest.options : {} });
      await effect(await env.ORDER_APPROVAL.get(id));
      await runInDurableObject(stub, (_: BulkJob, state) => {
        state.storage.sql.exec("UPDATE items SET in_flight = 1, attempts = 1, attempted_at = ?", Date.now());
      });
      await runDurableObjectAlarm(stub);
      const [row] = await ledger(stub);
      expect(row).toMatchObject({ outcome: "succeeded", reason: "took effect before the job was interrupted" });
    },
  );

  it.for([
    { action: "restart", options: {} },
    { action: "send_event", options: { event: { type: "approval", payload: { approved: true } } } },
  ] as const)("fails an interrupted $action rather than repeat it", async ({ action, options }, { expect }) => {
    await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
    const id = uniqueId(`interrupted-${action}`);
    await createInstance("order-approval", { instance_id: id, params: { orderId: id, amount: 1 } });
    const stub = await manualJob("order-approval", [id], { action, options });
    await runInDurableObject(stub, (_: BulkJob, state) => {
      state.storage.sql.exec("UPDATE items SET in_flight = 1, attempts = 1, attempted_at = ?", Date.now());
    });
    await runDurableObjectAlarm(stub);
    const [row] = await ledger(stub);
    expect(row).toMatchObject({ outcome: "failed", attempts: 2 });
    expect(row?.error?.name).toBe("InterruptedAction");
    // Not repeated: the instance still waits for its approval, on its first run.
    expect((await (await env.ORDER_APPROVAL.get(id)).status()).status).not.toBe("complete");
  });

  it("records a permanent failure at once, with its error", async ({ expect }) => {
    // A workflow this deployment does not bind cannot be acted on: no retry can help.
    const stub = await manualJob("not-bound-here", ["some-instance"]);
    await runDurableObjectAlarm(stub);
    const [row] = await ledger(stub);
    expect(row).toMatchObject({ outcome: "failed", attempts: 1 });
    expect(row?.error?.message).toContain("no binding");
  });
});
