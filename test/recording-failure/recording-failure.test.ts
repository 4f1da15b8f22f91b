import {
  createExecutionContext,
  createScheduledController,
  introspectWorkflowInstance,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import worker from "../../src/index";
import { api, counts, createInstance, uniqueId } from "../helpers/api";

// In this project CONTROL_PLANE is a plain fetch service, so every report a tracked workflow
// sends fails (see vitest.config.ts).

type Summary = { id: string; status: string; started_on: string | null; ended_on: string | null };

async function indexed(id: string): Promise<Summary | undefined> {
  const response = await api<Summary[]>("GET", `/workflows/hello-world/instances?id_prefix=${id}`);
  return response.body.result.find((summary) => summary.id === id);
}

describe("recording failures", () => {
  it("never fail, retry or stop the workflow", async ({ expect }) => {
    const id = uniqueId("unrecorded");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await createInstance("hello-world", { instance_id: id, params: { name: "offline" } });
    await instance.waitForStatus("complete");
    expect(await instance.getOutput()).toEqual({ greeting: "Hello, offline!" });
    expect(await instance.waitForStepResult({ name: "compose greeting" })).toEqual({ greeting: "Hello, offline!" });
  });
});

describe("reconciliation", () => {
  it("brings an instance that never recorded in line with the engine, from the cron trigger", async ({ expect }) => {
    const id = uniqueId("reconciled");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await createInstance("hello-world", { instance_id: id, params: { name: "cron" } });
    await instance.waitForStatus("complete");
    expect((await indexed(id))?.status).toBe("queued");
    const before = await counts("hello-world");

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: Date.now() }), env, ctx);
    await waitOnExecutionContext(ctx);

    const entry = await indexed(id);
    expect(entry).toMatchObject({ status: "complete" });
    expect(entry?.ended_on).not.toBeNull();
    const after = await counts("hello-world");
    expect(after.queued).toBe(before.queued - 1);
    expect(after.complete).toBe(before.complete + 1);
  });

  it("indexes an instance created straight through the binding as soon as it is looked up", async ({ expect }) => {
    const id = uniqueId("looked-up");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await env.HELLO_WORLD.create({ id, params: { name: "direct" } });
    await instance.waitForStatus("complete");
    expect(await indexed(id)).toBeUndefined();
    const response = await api<{ status: string; trigger: { source: string } }>(
      "GET",
      `/workflows/hello-world/instances/${id}`,
    );
    expect(response.body.result).toMatchObject({ status: "complete", trigger: { source: "unknown" } });
    expect(await indexed(id)).toMatchObject({ status: "complete" });
  });
});
