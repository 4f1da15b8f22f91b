import { introspectWorkflowInstance, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, type ExpectStatic, it } from "vitest";
import { bulkJobs } from "../../src/db/schema";
import { indexWriterFor } from "../../src/index/writer";
import { createBulkJob } from "../../src/services/bulk/jobs";
import { createDeps, type Deps } from "../../src/services/deps";
import { changeInstanceStatus } from "../../src/services/instances/control";
import { syncInstance } from "../../src/services/instances/mirror";
import { api, createInstance, uniqueId } from "../helpers/api";
import { countsAndRecount, indexedStatus } from "../helpers/counts";
import { type Fault, type FaultyD1, faultyD1 } from "../helpers/faulty-d1";
import { type FaultCount, faultySegments } from "../helpers/faulty-index";
import { journal } from "../helpers/journal";
import { beforeEachCall } from "../helpers/stubs";

const real = createDeps(env);
const WHEN = ["before", "after"] as const;

/**
 * Gives one running Durable Object a D1 that fails `fault`, for as long as this incarnation
 * lives: the object's own code, unchanged, meets the failure at its own write.
 */
async function failWriteIn(stub: DurableObjectStub, fault: Fault): Promise<FaultyD1> {
  const faulty = faultyD1(env.DB, fault);
  await giveEnv(stub, { DB: faulty.database });
  return faulty;
}

/**
 * Gives one running Durable Object index segments one of whose writes fails `fault`, for as
 * long as this incarnation lives: its index write reads D1 as ever, then meets the failure at
 * the segment.
 */
async function failSegmentWriteIn(stub: DurableObjectStub, fault: Fault): Promise<FaultCount> {
  const faulty = faultySegments(env.INDEX_SEGMENT, fault);
  await giveEnv(stub, { INDEX_SEGMENT: faulty.namespace });
  return faulty;
}

async function giveEnv(stub: DurableObjectStub, bindings: Partial<Env>): Promise<void> {
  await runInDurableObject(stub, (object: object) => {
    const own = object as { env: Env };
    own.env = { ...own.env, ...bindings };
  });
}

async function workflowIdOf(name: string): Promise<string> {
  return (await api<{ id: string }>("GET", `/workflows/${name}`)).body.result.id;
}

async function expectCountsRecounted(expect: ExpectStatic, workflowId: string) {
  for (const [status, maintained, recounted] of await countsAndRecount(workflowId)) {
    expect(maintained, status).toBe(recounted);
  }
}

describe("an index segment write failing under a Durable Object's index write", () => {
  it.for(WHEN)("the journal's index write of a status change (%s it runs)", async (when, { expect }) => {
    const workflowId = await workflowIdOf("order-approval");
    const id = uniqueId(`journal-write-${when}`);
    await using instance = await introspectWorkflowInstance(env.ORDER_APPROVAL, id);
    await createInstance("order-approval", { instance_id: id, params: { orderId: id, amount: 1 } });
    await instance.waitForStepResult({ name: "reserve inventory" });
    expect((await api("GET", `/workflows/order-approval/instances/${id}`)).status).toBe(200);

    const faulty = await failSegmentWriteIn(journal("order-approval", id), { write: 1, when });
    await expect(changeInstanceStatus(real, "order-approval", id, { status: "pause" })).rejects.toThrow(
      /injected fault/,
    );
    expect(faulty.failed()).toBe(true);
    expect((await (await env.ORDER_APPROVAL.get(id)).status()).status).toBe("paused");

    // The summary was not noted as written, so the next read hands it over again.
    const read = await api<{ status: string }>("GET", `/workflows/order-approval/instances/${id}`);
    expect(read.body.result.status).toBe("paused");
    await expect.poll(() => indexedStatus(workflowId, id), { timeout: 10_000, interval: 100 }).toBe("paused");
    await expectCountsRecounted(expect, workflowId);
  });

  it.for(WHEN)("an index writer's flush (%s it runs)", async (when, { expect }) => {
    const workflowId = await workflowIdOf("hello-world");
    const id = uniqueId(`flush-${when}`);
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await env.HELLO_WORLD.create({ id });
    await instance.waitForStatus("complete");
    const writer = indexWriterFor(env, { workflowName: "hello-world", instanceId: id });
    const faulty = await failSegmentWriteIn(writer, { write: 1, when });

    // Not `indexNow`: the summary is queued, and the writer's alarm meets the failure.
    await syncInstance(real, { workflowName: "hello-world", instanceId: id });
    await expect.poll(() => indexedStatus(workflowId, id), { timeout: 20_000, interval: 100 }).toBe("complete");
    expect(faulty.failed()).toBe(true);
    await expect.poll(() => writer.pendingCount(), { timeout: 10_000, interval: 100 }).toBe(0);
    await expectCountsRecounted(expect, workflowId);
  });
});

describe("D1 failing at a bulk job's write of its own row", () => {
  it.for(
    WHEN.flatMap((when) => [
      { when, write: 1, step: "the job's start" },
      { when, write: 2, step: "the job's end" },
    ]),
  )("a bulk job's own row, at $step ($when it runs)", async ({ when, write }, { expect }) => {
    const id = uniqueId(`bulk-row-${when}-${write}`);
    await createInstance("order-approval", { instance_id: id, params: { orderId: id, amount: 1 } });
    let faulty: Promise<FaultyD1> | undefined;
    // The job's object gets the failing D1 before its first call, so before its first alarm.
    const deps: Deps = {
      ...real,
      bulkJob: (jobId) => {
        const stub = real.bulkJob(jobId);
        faulty ??= failWriteIn(stub, { write, when });
        const ready = faulty;
        return beforeEachCall(stub, () => ready);
      },
    };
    const created = await createBulkJob(
      deps,
      "order-approval",
      { action: "pause", instance_ids: [id] },
      { kind: "bulk" },
    );
    if (created.outcome !== "created") throw new Error(`job not created: ${created.outcome}`);
    const jobId = created.job.id;
    // Its alarm is retried after the failure; the job ends, and D1 says so.
    await expect
      .poll(async () => (await real.bulkJob(jobId).view()).status, { timeout: 20_000, interval: 100 })
      .toBe("complete");
    expect((await faulty)?.failed()).toBe(true);
    const [row] = await real.db.select().from(bulkJobs).where(eq(bulkJobs.id, jobId));
    expect(row).toMatchObject({ status: "complete", total: 1 });
    expect(row?.endedOn).not.toBeNull();
    const view = await real.bulkJob(jobId).view();
    expect(view).toMatchObject({ succeeded: 1, failed: 0, pending: 0 });
    expect((await (await env.ORDER_APPROVAL.get(id)).status()).status).toBe("paused");
  });
});
