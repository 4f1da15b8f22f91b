import { introspectWorkflowInstance } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { uniqueId } from "../helpers/api";

const ORDER = { orderId: "order-7", amount: 120 };

async function startOrder() {
  const id = uniqueId("order");
  const instance = await introspectWorkflowInstance(env.ORDER_APPROVAL, id);
  return { id, instance };
}

/** Reads the engine's event stream until the instance waits for its approval. */
async function untilWaitStarted(order: WorkflowInstance): Promise<void> {
  using subscription = await order.subscribe({ filter: ["wait_started"] });
  await subscription.next();
}

describe("OrderApprovalWorkflow", () => {
  it.for([
    [true, "confirmed"],
    [false, "rejected"],
  ] as const)("ends %s approval as %s", async ([approved, outcome], { expect }) => {
    const { id, instance } = await startOrder();
    await using _ = instance;
    await instance.modify(async (m) => {
      await m.disableSleeps();
      await m.mockEvent({ type: "approval", payload: { approved } });
    });
    await env.ORDER_APPROVAL.create({ id, params: ORDER });
    await instance.waitForStatus("complete");
    expect(await instance.getOutput()).toEqual({
      orderId: "order-7",
      amount: 120,
      approved,
      outcome,
      reservationId: "reservation-order-7",
    });
  });

  it("expires instead of failing when nobody approves within the hour", async ({ expect }) => {
    const { id, instance } = await startOrder();
    await using _ = instance;
    await instance.modify(async (m) => {
      await m.disableSleeps();
      await m.forceEventTimeout({ name: "wait for approval" });
    });
    await env.ORDER_APPROVAL.create({ id, params: ORDER });
    await instance.waitForStatus("complete");
    expect(await instance.getOutput()).toMatchObject({ approved: false, outcome: "expired" });
  });

  it("still takes the approval after a pause while it waited for it", async ({ expect }) => {
    const { id, instance } = await startOrder();
    await using _ = instance;
    await instance.modify(async (m) => {
      await m.disableSleeps();
    });
    const order = await env.ORDER_APPROVAL.create({ id, params: ORDER });
    await untilWaitStarted(order);

    await order.pause();
    await instance.waitForStatus("paused");
    await order.resume();
    await order.sendEvent({ type: "approval", payload: { approved: true } });

    await instance.waitForStatus("complete");
    expect(await instance.getOutput()).toMatchObject({ approved: true, outcome: "confirmed" });
  });

  it("retries the reservation step when it fails", async ({ expect }) => {
    const { id, instance } = await startOrder();
    await using _ = instance;
    await instance.modify(async (m) => {
      await m.disableSleeps();
      await m.disableRetryDelays();
      await m.mockStepError({ name: "reserve inventory" }, new Error("inventory service unavailable"), 2);
      await m.mockEvent({ type: "approval", payload: { approved: true } });
    });
    await env.ORDER_APPROVAL.create({ id, params: ORDER });
    expect(await instance.waitForStepResult({ name: "reserve inventory" })).toEqual({
      reservationId: "reservation-order-7",
    });
    await instance.waitForStatus("complete");
  });

  it.for([
    ["no params", undefined, "params.orderId must be a non-empty string"],
    ["an empty order id", { orderId: "", amount: 5 }, "params.orderId must be a non-empty string"],
    ["a negative amount", { orderId: "o", amount: -1 }, "params.amount must be a positive number"],
    ["an amount that is a string", { orderId: "o", amount: "5" }, "params.amount must be a positive number"],
  ] as const)("errors without retrying on %s", async ([, params, message], { expect }) => {
    const { id, instance } = await startOrder();
    await using _ = instance;
    await env.ORDER_APPROVAL.create({ id, params: params as never });
    await instance.waitForStatus("errored");
    const error = await instance.getError();
    expect(error.name).toBe("NonRetryableError");
    expect(error.message).toContain(message);
  });
});
