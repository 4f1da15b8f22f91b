import { introspectWorkflow } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { createDeps } from "../../src/services/deps";
import { expireInstances } from "../../src/services/retention/expiry";
import { api, createInstance, uniqueId } from "../helpers/api";
import { countsAndRecount, engineStatus, indexedStatus } from "../helpers/counts";
import { eventually } from "../helpers/eventually";

const ORDER = { orderId: "race", amount: 1 };
const deps = createDeps(env);

type Call = (id: string, workflow?: string) => Promise<{ status: number }>;

const status =
  (change: string) =>
  (id: string, workflow = "order-approval") =>
    api("PATCH", `/workflows/${workflow}/instances/${id}/status`, { body: { status: change } });

const CALLS = {
  pause: status("pause"),
  resume: status("resume"),
  terminate: status("terminate"),
  restart: status("restart"),
  event: (id, workflow = "order-approval") =>
    api("POST", `/workflows/${workflow}/instances/${id}/events/approval`, { body: { approved: true } }),
  read: (id, workflow = "order-approval") => api("GET", `/workflows/${workflow}/instances/${id}`),
  delete: (id, workflow = "order-approval") => api("DELETE", `/workflows/${workflow}/instances/${id}`),
} satisfies Record<string, Call>;

const workflowIdOf = async (name: string) => (await api<{ id: string }>("GET", `/workflows/${name}`)).body.result.id;

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
    for (const [status, kept, recounted] of await countsAndRecount(await workflowIdOf("order-approval"))) {
      expect(kept, status).toBe(recounted);
    }
  });
});

describe("a bulk job racing single calls on its targets", () => {
  it.for(["terminate", "pause"] as const)(
    "a %s job settles every item while its targets are paused, restarted, terminated, sent events and deleted",
    async (action, { expect }) => {
      await using workflow = await introspectWorkflow(env.ORDER_APPROVAL);
      await workflow.modifyAll(async (m) => {
        await m.disableSleeps();
      });
      const calls = ["pause", "resume", "restart", "terminate", "event", "read", "delete"] as const;
      const ids = calls.flatMap((call) => [0, 1].map((n) => uniqueId(`bulk-race-${action}-${call}-${n}`)));
      for (const id of ids) await createInstance("order-approval", { instance_id: id, params: ORDER });

      const [job, ...answers] = await Promise.all([
        api<{ id: string }>("POST", "/workflows/order-approval/instances/bulk", {
          body: { action, instance_ids: ids },
        }),
        ...ids.map((id, index) => CALLS[calls[Math.floor(index / 2)] ?? "read"](id)),
      ]);
      expect(job.status).toBe(202);
      for (const [index, answer] of answers.entries()) {
        expect(answer.status, `${ids[index]} answered ${answer.status}`).toBeLessThan(500);
      }
      const done = await eventually(async () => {
        const view = (
          await api<{ status: string; failed: number; total: number }>(
            "GET",
            `/workflows/order-approval/bulk/${job.body.result.id}`,
          )
        ).body.result;
        if (view.status !== "complete") throw new Error(`job is ${view.status}`);
        return view;
      }, 30_000);
      // Every item ends acted on or skipped for a reason (deleted: not found), none failed.
      expect(done).toMatchObject({ total: ids.length, failed: 0 });

      const workflowId = await workflowIdOf("order-approval");
      for (const id of ids) {
        const engine = await engineStatus(env.ORDER_APPROVAL, id);
        const read = await CALLS.read(id);
        expect(read.status, id).toBe(engine === null ? 404 : 200);
        expect((await indexedStatus(workflowId, id)) === undefined, id).toBe(engine === null);
      }
      for (const [status, kept, recounted] of await countsAndRecount(workflowId)) expect(kept, status).toBe(recounted);
    },
  );
});

describe("expiry racing calls on the instance it expires", () => {
  it.for(["read", "restart", "delete", "event", "terminate"] as const)(
    "%s against expiry: never 5xx, and the engine and the index agree after",
    async (call, { expect }) => {
      await using workflow = await introspectWorkflow(env.HELLO_WORLD);
      await workflow.modifyAll(async (m) => {
        await m.disableSleeps();
      });
      const workflowId = await workflowIdOf("hello-world");
      for (let round = 0; round < 3; round++) {
        const id = uniqueId(`expiry-race-${call}`);
        await createInstance("hello-world", { instance_id: id, instance_retention: { success_retention: 1 } });
        await eventually(async () => {
          const engine = await engineStatus(env.HELLO_WORLD, id);
          if (engine !== "complete") throw new Error(`still ${engine}`);
        });
        // Its retention (1 ms) is over as it completes: a read brings the index up to date and
        // answers 404, as the engine would, while the row waits for the expiry pass to remove it.
        expect((await CALLS.read(id, "hello-world")).status).toBe(404);
        expect(await indexedStatus(workflowId, id)).toBe("complete");
        const [answer] = await Promise.all([
          CALLS[call](id, "hello-world"),
          expireInstances(deps, { now: Date.now() + 1_000 }),
        ]);
        expect(answer.status, `${call} answered ${answer.status}`).toBeLessThan(500);

        // A restart that won runs on: once it is over, it is indexed while the engine has it.
        const engine = await eventually(async () => {
          const status = await engineStatus(env.HELLO_WORLD, id);
          if (status === "queued" || status === "running") throw new Error(`still ${status}`);
          return status;
        });
        // Gone from the engine and the index, or in both with the engine's status.
        expect(await indexedStatus(workflowId, id), `${call} answered ${answer.status}`).toBe(engine ?? undefined);
      }
      for (const [status, kept, recounted] of await countsAndRecount(workflowId)) expect(kept, status).toBe(recounted);
    },
  );
});
