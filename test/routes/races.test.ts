import { introspectWorkflow } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { api, createInstance, uniqueId } from "../helpers/api";
import { countsAndRecount } from "../helpers/counts";

const ORDER = { orderId: "race", amount: 1 };

type Call = (id: string) => Promise<{ status: number }>;

const CALLS = {
  pause: (id) => api("PATCH", `/workflows/order-approval/instances/${id}/status`, { body: { status: "pause" } }),
  resume: (id) => api("PATCH", `/workflows/order-approval/instances/${id}/status`, { body: { status: "resume" } }),
  terminate: (id) =>
    api("PATCH", `/workflows/order-approval/instances/${id}/status`, { body: { status: "terminate" } }),
  restart: (id) => api("PATCH", `/workflows/order-approval/instances/${id}/status`, { body: { status: "restart" } }),
  event: (id) => api("POST", `/workflows/order-approval/instances/${id}/events/approval`, { body: { approved: true } }),
  read: (id) => api("GET", `/workflows/order-approval/instances/${id}`),
  delete: (id) => api("DELETE", `/workflows/order-approval/instances/${id}`),
} satisfies Record<string, Call>;

describe("two calls racing on one instance", () => {
  const pairs = [
    ["resume", "delete"],
    ["restart", "delete"],
    ["pause", "delete"],
    ["terminate", "delete"],
    ["event", "delete"],
    ["read", "delete"],
    ["pause", "terminate"],
    ["restart", "terminate"],
    ["event", "restart"],
  ] as const;

  it.for(pairs)("%s against %s answers 2xx or 4xx, never 5xx", async ([first, second], { expect }) => {
    await using workflow = await introspectWorkflow(env.ORDER_APPROVAL);
    await workflow.modifyAll(async (m) => {
      await m.disableSleeps();
    });
    for (let round = 0; round < 4; round++) {
      const id = uniqueId(`race-${first}-${second}`);
      await createInstance("order-approval", { instance_id: id, params: ORDER });
      const answers = await Promise.all([CALLS[first](id), CALLS[second](id)]);
      for (const [index, answer] of answers.entries()) {
        expect(answer.status, `${[first, second][index]} answered ${answer.status}`).toBeLessThan(500);
      }
    }
    const { id: workflowId } = (await api<{ id: string }>("GET", "/workflows/order-approval")).body.result;
    for (const [status, kept, recounted] of await countsAndRecount(workflowId)) expect(kept, status).toBe(recounted);
  });
});
