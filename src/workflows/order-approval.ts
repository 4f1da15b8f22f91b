import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";

export type OrderApprovalParams = { orderId: string; amount: number };

/** The event an approver sends: `POST …/instances/:id/events/approval`. */
export type ApprovalEvent = { approved: boolean };

export type OrderApprovalOutput = {
  orderId: string;
  amount: number;
  approved: boolean;
  outcome: "confirmed" | "rejected" | "expired";
  reservationId: string;
};

export const APPROVAL_EVENT = "approval";

/**
 * An order that waits for a person: validate, reserve stock (retried), cool off, wait up to an
 * hour for an `approval` event, then confirm or release. Every step is idempotent by order id,
 * so replays after sleeps, restarts or evictions repeat nothing twice.
 */
export class OrderApprovalWorkflow extends WorkflowEntrypoint<Env, OrderApprovalParams> {
  override async run(
    event: Readonly<WorkflowEvent<OrderApprovalParams>>,
    step: WorkflowStep,
  ): Promise<OrderApprovalOutput> {
    const order = await step.do("validate order", async () => validateOrder(event.payload));

    const reservation = await step.do(
      "reserve inventory",
      { retries: { limit: 3, delay: "2 seconds", backoff: "exponential" }, timeout: "1 minute" },
      async () => ({ reservationId: `reservation-${order.orderId}` }),
    );

    await step.sleep("cool off before asking for approval", "2 seconds");

    let decision: ApprovalEvent | undefined;
    try {
      const approval = await step.waitForEvent<ApprovalEvent>("wait for approval", {
        type: APPROVAL_EVENT,
        timeout: "1 hour",
      });
      decision = { approved: approval.payload?.approved === true };
    } catch (error) {
      // Only a timeout means nobody answered. Anything else, such as the engine aborting this
      // run for a pause, must end the run: swallowed, the run would go on to finalize the order
      // as expired, and the engine would replay that cached result after the resume.
      if (!isWaitTimeout(error)) throw error;
      decision = undefined;
    }

    const outcome: OrderApprovalOutput["outcome"] =
      decision === undefined ? "expired" : decision.approved ? "confirmed" : "rejected";
    return step.do(
      "finalize order",
      { retries: { limit: 5, delay: "1 second", backoff: "exponential" }, timeout: "30 seconds" },
      async () => ({
        orderId: order.orderId,
        amount: order.amount,
        approved: outcome === "confirmed",
        outcome,
        reservationId: reservation.reservationId,
      }),
    );
  }
}

function validateOrder(payload: unknown): OrderApprovalParams {
  const { orderId, amount } = (payload ?? {}) as Partial<Record<keyof OrderApprovalParams, unknown>>;
  if (typeof orderId !== "string" || orderId.trim() === "") {
    throw new NonRetryableError("params.orderId must be a non-empty string");
  }
  if (typeof amount !== "number" || !Number.isFinite(amount) || amount <= 0) {
    throw new NonRetryableError("params.amount must be a positive number");
  }
  return { orderId, amount };
}

/**
 * The engine's answer when a `waitForEvent` outlives its timeout. It crosses from the engine as
 * a plain `Error` whose message keeps the original name: "WorkflowTimeoutError: Execution timed
 * out after 3600000ms".
 */
function isWaitTimeout(error: unknown): boolean {
  return error instanceof Error && /^(?:WorkflowTimeoutError: )?Execution timed out\b/.test(error.message);
}
