import { introspectWorkflowInstance } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { api, uniqueId } from "../helpers/api";
import { eventually } from "../helpers/eventually";

/** The consumer example (examples/consumer), running as an auxiliary worker bound to this one. */
async function orders(path: string, init?: RequestInit) {
  const response = await env.ORDER_SERVICE.fetch(`https://order-service.test${path}`, init);
  return { status: response.status, body: await response.json<Record<string, unknown>>() };
}

const post = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify(body),
});

describe("the consumer example over its service binding", () => {
  it("starts an order, sends its approval and reads its status", async ({ expect }) => {
    const orderId = uniqueId("consumer");
    await using instance = await introspectWorkflowInstance(env.ORDER_APPROVAL, `order-${orderId}`);
    await instance.modify(async (m) => {
      await m.disableSleeps();
    });
    const started = await orders("/orders", post({ orderId, amount: 12 }));
    expect(started).toEqual({ status: 201, body: { id: `order-${orderId}`, status: "queued" } });
    await instance.waitForStepResult({ name: "reserve inventory" });
    const approved = await orders(`/orders/order-${orderId}/approval`, post({ approved: true }));
    expect(approved.status).toBe(202);
    await instance.waitForStatus("complete");
    const read = await orders(`/orders/order-${orderId}`);
    expect(read.body).toMatchObject({ status: "complete", output: { outcome: "confirmed" } });

    const trail = await eventually(async () => {
      const response = await api<{ actor: { id: string }; action: string }[]>(
        "GET",
        "/audit?actor_id=rpc:order-service",
      );
      if (response.body.result.length < 2) throw new Error("not recorded yet");
      return response.body.result;
    });
    expect(trail.map((record) => record.action)).toEqual(
      expect.arrayContaining([
        "POST /workflows/:workflow_name/instances",
        "POST /workflows/:workflow_name/instances/:instance_id/events/:event_type",
      ]),
    );
  });

  it("gets the control plane's error codes through its binding", async ({ expect }) => {
    const missing = await orders("/orders/order-that-never-was");
    expect(missing).toEqual({
      status: 404,
      body: { code: 10400, message: "Instance 'order-that-never-was' of workflow 'order-approval' not found" },
    });
    const invalid = await orders("/orders", post({ orderId: "has space", amount: 1 }));
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ code: 10002 });
  });
});

describe("the consumer example's shipments", () => {
  it("ships an order on a plain Workflow of another Worker and reads it step by step", async ({ expect }) => {
    const orderId = uniqueId("shipped");
    const started = await orders(`/orders/${orderId}/shipment`, { method: "POST" });
    expect(started).toEqual({ status: 201, body: { id: `ship-${orderId}`, status: "queued" } });
    const shipment = await eventually(async () => {
      const read = await orders(`/orders/${orderId}/shipment`);
      if (read.body.status !== "waiting" || (read.body.steps as unknown[]).length < 4)
        throw new Error("not waiting yet");
      return read.body;
    }, 15_000);
    expect(shipment.steps).toMatchObject([
      { name: "validate order-1", success: true },
      {
        name: "buy shipping label-1",
        attempts: [{ success: false, error: { message: "carrier busy" } }, { success: true }],
      },
      { type: "sleep", finished: true },
      { type: "waitForEvent", event_type: "picked-up", finished: false },
    ]);
    await api("DELETE", `/workflows/ship-order/instances/ship-${orderId}`);
  });
});
