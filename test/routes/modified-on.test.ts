import { introspectWorkflowInstance } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { api, createInstance, sweep, uniqueId } from "../helpers/api";
import { eventually } from "../helpers/eventually";

type Summary = { id: string; status: string; modified_on: string };

async function listed(id: string): Promise<Summary | undefined> {
  const page = await api<Summary[]>("GET", `/workflows/order-approval/instances?id_prefix=${id}`);
  return page.body.result[0];
}

describe("modified_on", () => {
  it("moves only when the instance changed, not when it is read or swept", async ({ expect }) => {
    const id = uniqueId("steady");
    await using instance = await introspectWorkflowInstance(env.ORDER_APPROVAL, id);
    await instance.modify(async (m) => {
      await m.disableSleeps();
    });
    await createInstance("order-approval", { instance_id: id, params: { orderId: id, amount: 1 } });
    const waiting = await eventually(async () => {
      await api("GET", `/workflows/order-approval/instances/${id}`);
      const summary = await listed(id);
      if (summary?.status !== "waiting") throw new Error(`still ${summary?.status}`);
      return summary;
    });

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    for (let read = 0; read < 3; read++) await api("GET", `/workflows/order-approval/instances/${id}`);
    await sweep();
    expect(await listed(id)).toEqual(waiting);

    await api("POST", `/workflows/order-approval/instances/${id}/events/approval`, { body: { approved: true } });
    await instance.waitForStatus("complete");
    await api("GET", `/workflows/order-approval/instances/${id}`);
    const done = await listed(id);
    expect(done?.status).toBe("complete");
    expect(Date.parse(done?.modified_on ?? "")).toBeGreaterThan(Date.parse(waiting.modified_on));
  });
});
