import { evictAllDurableObjects, evictDurableObject, introspectWorkflowInstance } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { createDeps, type Deps, type JournalStub } from "../../src/services/deps";
import { changeInstanceStatus } from "../../src/services/instances/control";
import { syncInstance } from "../../src/services/instances/mirror";
import { api, createInstance, uniqueId } from "../helpers/api";
import { countsAndRecount, indexedStatus } from "../helpers/counts";
import { beforeEachCall } from "../helpers/stubs";

const real = createDeps(env);

/** A journal stub whose Durable Object is evicted before every call made to it. */
function evictedBeforeEachCall(stub: JournalStub): JournalStub {
  return beforeEachCall(stub, () =>
    // One not running (not yet started, or just evicted) has nothing to lose.
    evictDurableObject(stub).catch((error: unknown) => {
      if (!String(error).includes("not currently running")) throw error;
    }),
  );
}

const evicting: Deps = {
  ...real,
  journal: (workflowName, id) => evictedBeforeEachCall(real.journal(workflowName, id)),
};

describe("Durable Objects evicted between every two calls", () => {
  it("a status change still answers what the engine did, and the index and counts follow", async ({ expect }) => {
    const { id: workflowId } = (await api<{ id: string }>("GET", "/workflows/order-approval")).body.result;
    const id = uniqueId("evicted");
    await using instance = await introspectWorkflowInstance(env.ORDER_APPROVAL, id);
    await createInstance("order-approval", { instance_id: id, params: { orderId: id, amount: 1 } });
    await instance.waitForStepResult({ name: "reserve inventory" });
    for (const change of [{ status: "pause" }, { status: "resume" }, { status: "terminate" }] as const) {
      const answer = await changeInstanceStatus(evicting, "order-approval", id, change);
      const engine = (await (await env.ORDER_APPROVAL.get(id)).status()).status;
      // The local engine says running where the mirror sees the open wait: waiting.
      expect(answer.status === "waiting" ? "running" : answer.status, change.status).toBe(engine);
      expect(await indexedStatus(workflowId, id), change.status).toBe(answer.status);
    }
    expect(await indexedStatus(workflowId, id)).toBe("terminated");
    for (const [status, maintained, recounted] of await countsAndRecount(workflowId)) {
      expect(maintained, status).toBe(recounted);
    }
  });

  it("a summary queued for the index is not lost when the index writers are evicted", async ({ expect }) => {
    const { id: workflowId } = (await api<{ id: string }>("GET", "/workflows/hello-world")).body.result;
    const id = uniqueId("queued");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await env.HELLO_WORLD.create({ id });
    await instance.waitForStatus("complete");
    // Not `indexNow`: the summary goes through an IndexWriter, whose alarm writes it to D1.
    await syncInstance(evicting, { workflowName: "hello-world", instanceId: id });
    await evictAllDurableObjects();
    await expect.poll(() => indexedStatus(workflowId, id), { timeout: 10_000, interval: 100 }).toBe("complete");
    for (const [status, maintained, recounted] of await countsAndRecount(workflowId)) {
      expect(maintained, status).toBe(recounted);
    }
  });
});
