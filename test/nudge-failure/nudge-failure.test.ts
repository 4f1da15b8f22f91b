import {
  createExecutionContext,
  createScheduledController,
  introspectWorkflowInstance,
  runDurableObjectAlarm,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import worker from "../../src/index";
import { api, counts, createInstance, uniqueId } from "../helpers/api";
import { eventually } from "../helpers/eventually";

// In this project CONTROL_PLANE is a plain fetch service, so every nudge a tracked workflow sends
// fails (see vitest.config.ts).

type Summary = { id: string; status: string; started_on: string | null; ended_on: string | null };

async function indexed(workflow: string, id: string): Promise<Summary | undefined> {
  const response = await api<Summary[]>("GET", `/workflows/${workflow}/instances?id_prefix=${id}`);
  return response.body.result.find((summary) => summary.id === id);
}

describe("a tracked workflow whose nudges fail", () => {
  it("still runs to completion, and the sweep brings its index entry up to date", async ({ expect }) => {
    const id = uniqueId("unnudged");
    await using instance = await introspectWorkflowInstance(env.NUDGED_PROBE, id);
    await createInstance("nudged-probe", { instance_id: id, params: { loops: 2 } });
    await instance.waitForStatus("complete");
    expect(await instance.getOutput()).toEqual({ done: true });
    expect((await indexed("nudged-probe", id))?.status).toBe("queued");

    const before = await counts("nudged-probe");
    const ctx = createExecutionContext();
    // The cron trigger starts the sweeper; its alarm runs the sweep.
    await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: Date.now() }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await runDurableObjectAlarm(env.INSTANCE_SWEEPER.getByName("sweeper"))).toBe(true);

    // The sweep's index writes are batched by an IndexWriter: they land within its flush delay.
    const entry = await eventually(async () => {
      const found = await indexed("nudged-probe", id);
      if (found?.status !== "complete") throw new Error(`indexed as ${found?.status}`);
      return found;
    });
    expect(entry?.ended_on).not.toBeNull();
    const after = await counts("nudged-probe");
    expect(after.queued).toBe(before.queued - 1);
    expect(after.complete).toBe(before.complete + 1);
  });
});
