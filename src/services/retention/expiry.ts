import { inArray } from "drizzle-orm";
import { retried } from "../../db/client";
import { bulkJobs } from "../../db/schema";
import { errorInfo } from "../../domain/errors";
import { isFinished } from "../../domain/instance-status";
import { type IndexedWorkflow, indexedWorkflows } from "../../index/directory";
import type { Retention } from "../../index/schema";
import { dropDrainedSegment } from "../../index/segment-drops";
import { SEGMENT_FAN_OUT } from "../../index/workflow-index";
import { forEachConcurrently } from "../../lib/concurrency";
import type { Deps } from "../deps";
import { engineErrorKind } from "../engine-errors";
import { engineStatusOf } from "../instances/handles";
import { syncInstance } from "../instances/mirror";
import { originalName } from "../workflows";

/** Instances one expiry batch removes at most: one request per segment holding some, then this many journals. */
export const EXPIRY_BATCH = 100;

/** Journals (and engine instances) cleared at once within a batch. */
export const JOURNAL_CLEAR_CONCURRENCY = 25;

export type ExpiredInstance = { workflowId: string; workflowName: string; id: string };

/** An instance past its retention, where it is: its workflow and the segment that holds it. */
type Due = ExpiredInstance & { workflow: IndexedWorkflow; seq: number; retention: Retention | null; expiresOn: number };

/**
 * Removes up to `limit` finished instances whose retention ended by `now`, earliest first: their
 * index rows in their segments (and so their counts), their journals, and their rows in the
 * ledgers of the workflow's bulk jobs. The engine's instance goes too when this API created it
 * (the engine was given the very retention the index keeps, so both forget it at the same
 * moment), and any instance where the engine forgets nothing by itself (`wrangler dev`:
 * `expireInEngine`). One the engine has restarted meanwhile is indexed again instead.
 * Unfinished instances have no expiry and never go. Segments left full and empty are dropped
 * by `dropDrainedSegments`.
 */
export async function expireInstances(
  deps: Deps,
  { now = Date.now(), limit = EXPIRY_BATCH }: { now?: number; limit?: number } = {},
): Promise<ExpiredInstance[]> {
  const segments = (await indexedWorkflows(deps.db)).flatMap((workflow) =>
    workflow.address.segments.map((segment) => ({ workflow, segment })),
  );
  const found: Due[] = [];
  await forEachConcurrently(segments, SEGMENT_FAN_OUT, async ({ workflow, segment }) => {
    const rows = await deps.index.segment(workflow.address, segment.seq).due(now, limit);
    const workflowName = originalName(workflow.name);
    for (const row of rows) found.push({ ...row, workflow, seq: segment.seq, workflowId: workflow.id, workflowName });
  });
  const due = found.sort((a, b) => a.expiresOn - b.expiresOn).slice(0, limit);
  if (due.length === 0) return [];
  // The engine forgets first: a read by id in between then finds nothing to index again.
  const forgotten: Due[] = [];
  await forEachConcurrently(due, JOURNAL_CLEAR_CONCURRENCY, async (instance) => {
    const remove = deps.expireInEngine || instance.retention !== null;
    if ((await forgetInEngine(deps, instance, { remove })) === "forgotten") forgotten.push(instance);
  });
  // Only rows still due go: a restart since (its expiry cleared) keeps its row. Which went is
  // read back rather than taken from the delete's answer, which a failure may have lost.
  const bySegment = [...Map.groupBy(forgotten, (instance) => `${instance.workflowId}/${instance.seq}`).values()];
  const expired: ExpiredInstance[] = [];
  await forEachConcurrently(bySegment, SEGMENT_FAN_OUT, async (group) => {
    const first = group[0];
    if (!first) return;
    const segment = deps.index.segment(first.workflow.address, first.seq);
    const ids = group.map((instance) => instance.id);
    await retried(() => segment.expire(ids, now));
    const kept = new Set((await segment.statuses(ids)).map((row) => row.id));
    for (const { workflowId, workflowName, id } of group)
      if (!kept.has(id)) expired.push({ workflowId, workflowName, id });
  });
  await forEachConcurrently(expired, JOURNAL_CLEAR_CONCURRENCY, async ({ workflowName, id }) => {
    await retried(() => deps.journal(workflowName, id).clear());
  });
  await forgetInLedgers(deps, expired);
  return expired;
}

/**
 * Drops, as wholes, the segments whose instances have all gone: full ones (not the newest) with
 * no row left, their metric buckets moved into the newest first. Answers how many went.
 */
export async function dropDrainedSegments(deps: Deps): Promise<number> {
  const candidates = (await indexedWorkflows(deps.db)).flatMap((workflow) =>
    workflow.address.segments.slice(0, -1).map((segment) => ({ workflow, segment })),
  );
  let dropped = 0;
  await forEachConcurrently(candidates, SEGMENT_FAN_OUT, async ({ workflow, segment }) => {
    if (await dropDrainedSegment(deps.db, deps.index, workflow.address, segment)) dropped++;
  });
  return dropped;
}

/**
 * What became of an expired instance in the engine: deleted there (`remove`), left for the
 * engine to forget, or found running again after a restart the index had not seen yet, in
 * which case it is indexed again from the engine.
 */
async function forgetInEngine(
  deps: Deps,
  { workflowName, id }: ExpiredInstance,
  { remove }: { remove: boolean },
): Promise<"forgotten" | "restarted"> {
  const engine = deps.engines.bindingFor(workflowName)?.engine;
  if (!engine) return "forgotten";
  try {
    const handle = await engine.get(id);
    if (!isFinished(await engineStatusOf(handle))) {
      await syncInstance(deps, { workflowName, instanceId: id }, { indexNow: true, fromStart: true });
      return "restarted";
    }
    if (remove) await handle.delete();
  } catch (error) {
    if (engineErrorKind(error) !== "notFound") {
      console.warn(
        JSON.stringify({
          level: "warn",
          message: "could not forget an expired instance in the engine",
          workflowName,
          id,
          error: errorInfo(error),
        }),
      );
    }
  }
  return "forgotten";
}

/** Drops the ledger rows of expired instances from every retained job of their workflows. */
async function forgetInLedgers(deps: Deps, expired: ExpiredInstance[]): Promise<void> {
  const byWorkflow = Map.groupBy(expired, (instance) => instance.workflowId);
  if (byWorkflow.size === 0) return;
  const jobs = await deps.db
    .select({ id: bulkJobs.id, workflowId: bulkJobs.workflowId })
    .from(bulkJobs)
    .where(inArray(bulkJobs.workflowId, [...byWorkflow.keys()]));
  await forEachConcurrently(jobs, JOURNAL_CLEAR_CONCURRENCY, async (job) => {
    const ids = (byWorkflow.get(job.workflowId) ?? []).map((instance) => instance.id);
    await deps.bulkJob(job.id).forget(ids);
  });
}
