import { introspectWorkflowInstance } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { createDeps, type Deps } from "../../src/services/deps";
import type { Engine } from "../../src/services/engines";
import { createInstances, createInstance as createThroughService } from "../../src/services/instances/create";
import { expireInstances } from "../../src/services/retention/expiry";
import { updateSettings } from "../../src/services/retention/settings";
import { api, createInstance, errorOf, uniqueId } from "../helpers/api";
import { countsAndRecount } from "../helpers/counts";
import { indexRow } from "../helpers/segments";

const DAY = 86_400_000;
const PLAN = 7 * DAY;

type CreateOptions = WorkflowInstanceCreateOptions<unknown>;

/** Deps whose engines record what every create hands them, then create for real. */
function recordingDeps(): { deps: Deps; given: CreateOptions[] } {
  const real = createDeps(env);
  const given: CreateOptions[] = [];
  const recording = (engine: Engine): Engine => ({
    get: (id) => engine.get(id),
    create: async (options) => {
      if (options) given.push(options);
      return engine.create(options);
    },
    // The services use the object form only.
    createBatch: (async (batch: WorkflowBatchCreateOptions<unknown>) => {
      if ("instances" in batch) given.push(...batch.instances);
      return engine.createBatch(batch);
    }) as Engine["createBatch"],
    deleteBatch: (ids) => engine.deleteBatch(ids),
  });
  const deps: Deps = {
    ...real,
    engines: {
      ...real.engines,
      bindingFor: (name) => {
        const bound = real.engines.bindingFor(name);
        return bound && { ...bound, engine: recording(bound.engine) };
      },
    },
  };
  return { deps, given };
}

async function rowOf(workflowName: string, id: string) {
  const { id: workflowId } = (await api<{ id: string }>("GET", `/workflows/${workflowName}`)).body.result;
  const found = await indexRow(createDeps(env), workflowId, id);
  const row = found && { retention: found.retention, expiresOn: found.expiresOn, status: found.status };
  return { workflowId, row };
}

describe("the engine and the index forget an instance at the same moment", () => {
  it("gives the engine, field by field, the retention the index keeps, fixed at creation", async ({ expect }) => {
    const db = createDeps(env).db;
    // The first request syncs the definitions of the deployment's Workflows into D1.
    await api("GET", "/workflows/hello-world");
    await updateSettings(db, { default_retention: { success_retention: 2 * DAY } });
    try {
      const { deps, given } = recordingDeps();
      const single = uniqueId("single");
      const [first, second] = [uniqueId("batch"), uniqueId("batch")];
      await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, single);
      await createThroughService(deps, "hello-world", {
        instance_id: single,
        instance_retention: { error_retention: "1 hour" },
      });
      await createInstances(deps, "hello-world", [
        { instance_id: first },
        { instance_id: second, instance_retention: { success_retention: 60_000 } },
      ]);
      expect(given.map((options) => [options.id, options.retention])).toEqual([
        [single, { successRetention: 2 * DAY, errorRetention: 3_600_000 }],
        [first, { successRetention: 2 * DAY, errorRetention: PLAN }],
        [second, { successRetention: 60_000, errorRetention: PLAN }],
      ]);
      expect((await rowOf("hello-world", single)).row?.retention).toEqual({
        success_retention: 2 * DAY,
        error_retention: 3_600_000,
      });

      // A later account setting changes nothing for an instance already created.
      await updateSettings(db, { default_retention: { success_retention: 3 * DAY } });
      await instance.waitForStatus("complete");
      const ended = Date.parse(
        (await api<{ end: string }>("GET", `/workflows/hello-world/instances/${single}`)).body.result.end,
      );
      expect((await rowOf("hello-world", single)).row?.expiresOn?.getTime()).toBe(ended + 2 * DAY);
    } finally {
      await updateSettings(db, { default_retention: { success_retention: PLAN, error_retention: PLAN } });
    }
  });

  it("answers 404 for an instance first read after its retention ended, created behind the API's back", async ({
    expect,
  }) => {
    const id = uniqueId("behind");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await env.HELLO_WORLD.create({ id });
    await instance.waitForStatus("complete");
    const db = createDeps(env).db;
    // The account's retention applies to it: one second, long gone by the first read.
    await updateSettings(db, { default_retention: { success_retention: 1 } });
    try {
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(errorOf(await api("GET", `/workflows/hello-world/instances/${id}`))).toMatchObject({
        status: 404,
        code: 10400,
      });
    } finally {
      await updateSettings(db, { default_retention: { success_retention: PLAN } });
    }
    const { workflowId, row } = await rowOf("hello-world", id);
    expect(row?.retention).toBeNull();
    // This pass or the sweeper's (its alarm runs beside the test) removes it.
    await expireInstances(createDeps(env));
    expect((await rowOf("hello-world", id)).row).toBeUndefined();
    for (const [status, maintained, recounted] of await countsAndRecount(workflowId)) {
      expect(maintained, String(status)).toBe(recounted);
    }
  });

  it("refuses a restart or an event past the retention with 404, as GET", async ({ expect }) => {
    const id = uniqueId("past");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await createInstance("hello-world", { instance_id: id, instance_retention: { success_retention: "1 second" } });
    await instance.waitForStatus("complete");
    expect((await api("GET", `/workflows/hello-world/instances/${id}`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const calls = [
      api("PATCH", `/workflows/hello-world/instances/${id}/status`, { body: { status: "restart" } }),
      api("POST", `/workflows/hello-world/instances/${id}/events/nudge`, { body: {} }),
      api("GET", `/workflows/hello-world/instances/${id}`),
    ];
    for (const response of await Promise.all(calls)) {
      expect(errorOf(response)).toMatchObject({ status: 404, code: 10400 });
    }
    // Refused, so not restarted: the engine still holds the finished run.
    expect((await (await env.HELLO_WORLD.get(id)).status()).status).toBe("complete");
  });

  it("keeps an instance the engine restarted behind the index's back, and indexes it again", async ({ expect }) => {
    const id = uniqueId("again");
    await using instance = await introspectWorkflowInstance(env.ORDER_APPROVAL, id);
    await createInstance("order-approval", { instance_id: id, params: { orderId: id, amount: 1 } });
    await instance.waitForStepResult({ name: "reserve inventory" });
    await api("PATCH", `/workflows/order-approval/instances/${id}/status`, { body: { status: "terminate" } });
    expect((await rowOf("order-approval", id)).row?.status).toBe("terminated");
    await (await env.ORDER_APPROVAL.get(id)).restart();

    const expired = await expireInstances(createDeps(env), { now: Date.now() + 60 * DAY });
    expect(expired.map((gone) => gone.id)).not.toContain(id);
    const { workflowId, row } = await rowOf("order-approval", id);
    expect(row).toMatchObject({ expiresOn: null });
    expect(row?.status).not.toBe("terminated");
    expect((await (await env.ORDER_APPROVAL.get(id)).status()).status).not.toBe("terminated");
    for (const [status, maintained, recounted] of await countsAndRecount(workflowId)) {
      expect(maintained, String(status)).toBe(recounted);
    }
  });
});
