import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { newEvents, QUIET_MS } from "../../src/services/instances/engine-events";
import { api, uniqueId } from "../helpers/api";

type Step = { type: string; name: string; success?: boolean | null };
type Instance = { status: string; step_count: number; steps: Step[]; output: unknown };

/** A ship-batch instance of `orders` orders (one step each, then a sleep), run to completion. */
async function completedBatch(orders: number): Promise<string> {
  const id = uniqueId("batch");
  const orderIds = Array.from({ length: orders }, (_, index) => `${id}-${index}`);
  await api("POST", "/workflows/ship-batch/instances/batch", { body: [{ instance_id: id, params: { orderIds } }] });
  for (;;) {
    if ((await (await env.SHIP_BATCH.get(id)).status()).status === "complete") return id;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Every event of the instance's stream, read straight from the engine. */
async function engineEvents(id: string): Promise<number> {
  using subscription = await (await env.SHIP_BATCH.get(id)).subscribe();
  let count = 0;
  for (let next = await subscription.next(); !next.done; next = await subscription.next()) count++;
  return count;
}

describe("newEvents", () => {
  it("reads on after its consumer spent longer than the quiet time on a chunk", async ({ expect }) => {
    const id = await completedBatch(150);
    const handle = await env.SHIP_BATCH.get(id);
    const chunks: number[] = [];
    for await (const chunk of newEvents(handle, { cursor: 0, mark: null })) {
      chunks.push(chunk.events.length);
      // What a slow journal write does to the pass: nothing may count as the stream's silence.
      await new Promise((resolve) => setTimeout(resolve, QUIET_MS * 6));
    }
    expect(chunks[0]).toBe(500);
    expect(chunks.reduce((sum, length) => sum + length, 0)).toBe(await engineEvents(id));
  });

  it("ends a pass over a running instance once its stream is quiet", async ({ expect }) => {
    const id = uniqueId("waiting");
    await api("POST", "/workflows/ship-order/instances", {
      body: { instance_id: id, params: { orderId: id, pickupWindow: "1 second" } },
    });
    const handle = await env.SHIP_ORDER.get(id);
    const started = Date.now();
    const events = [];
    for await (const chunk of newEvents(handle, { cursor: 0, mark: null })) events.push(...chunk.events);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(events[0]?.type).toBe("workflow_queued");
    await (await env.SHIP_ORDER.get(id)).terminate();
  });
});

describe("a 10,001-step instance", () => {
  it("is mirrored whole and read as Cloudflare shows it", { timeout: 300_000 }, async ({ expect }) => {
    const id = await completedBatch(10_000);
    const { status, body } = await api<Instance>("GET", `/workflows/ship-batch/instances/${id}`);
    expect(status).toBe(200);
    expect(body.result).toMatchObject({
      status: "complete",
      step_count: 10_001,
      output: JSON.stringify({ labels: 10_000 }),
    });
    expect(body.result.steps).toHaveLength(10_001);
    const labels = body.result.steps.filter((step) => step.type === "step" && step.success === true);
    expect(labels).toHaveLength(10_000);
    // The engine numbers each use of a step name: the 10,000 "buy label" steps are distinct.
    expect(labels.at(-1)?.name).toBe("buy label-10000");
    expect(body.result.steps.at(-1)).toMatchObject({ type: "sleep", name: "wait for the carrier's pickup-1" });
  });
});
