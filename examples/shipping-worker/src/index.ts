/**
 * A shipping service with a plain Cloudflare Workflow: `WorkflowEntrypoint`, a retried step, a
 * sleep and a wait for an event. It knows nothing of the control plane, which binds this
 * Workflow from its own wrangler.toml (`script_name = "shipping-worker"`) and shows its
 * instances, their attempts, the sleep and the open wait from the engine's event stream.
 */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";

export type ShipOrderParams = {
  orderId: string;
  /** How long to wait for the pickup window; "2 seconds" unless given (a demo, after all). */
  pickupWindow?: WorkflowSleepDuration;
};

export type ShipOrderOutput = { orderId: string; label: string; pickedUpAt: string };

export class ShipOrderWorkflow extends WorkflowEntrypoint<unknown, ShipOrderParams> {
  override async run(event: Readonly<WorkflowEvent<ShipOrderParams>>, step: WorkflowStep): Promise<ShipOrderOutput> {
    const order = await step.do("validate order", async () => {
      if (typeof event.payload?.orderId !== "string" || event.payload.orderId === "") {
        throw new NonRetryableError("params.orderId is required");
      }
      return { orderId: event.payload.orderId };
    });
    const label = await step.do(
      "buy shipping label",
      { retries: { limit: 3, delay: "1 second", backoff: "constant" }, timeout: "1 minute" },
      async (ctx) => {
        // The carrier is busy on the first try of every order; the retry gets the label.
        if (ctx.attempt === 1) throw new Error("carrier busy");
        return `label-${order.orderId}`;
      },
    );
    await step.sleep("wait for pickup window", event.payload.pickupWindow ?? "2 seconds");
    const pickup = await step.waitForEvent<{ at: string }>("wait for pickup", { type: "picked-up", timeout: "1 day" });
    return { orderId: order.orderId, label, pickedUpAt: pickup.payload.at };
  }
}

export type ShipBatchParams = { orderIds: string[] };

/**
 * Buys one label per order of a batch, one step each, then waits for the carrier's pickup: a big
 * batch makes a long history (10,000 orders, 10,001 steps).
 */
export class ShipBatchWorkflow extends WorkflowEntrypoint<unknown, ShipBatchParams> {
  override async run(event: Readonly<WorkflowEvent<ShipBatchParams>>, step: WorkflowStep): Promise<{ labels: number }> {
    const orderIds = event.payload?.orderIds ?? [];
    for (const orderId of orderIds) {
      await step.do("buy label", async () => `label-${orderId}`);
    }
    await step.sleep("wait for the carrier's pickup", "1 second");
    return { labels: orderIds.length };
  }
}

export default {
  async fetch() {
    return new Response("shipping-worker: its Workflow runs through the control plane's API\n");
  },
} satisfies ExportedHandler;
