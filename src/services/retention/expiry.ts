import { and, asc, eq, inArray, lte, sql } from "drizzle-orm";
import { batchAll, chunkForStatement, retried } from "../../db/client";
import { bulkJobs, instances, workflows } from "../../db/schema";
import { errorInfo } from "../../domain/errors";
import { isFinished } from "../../domain/instance-status";
import { forEachConcurrently } from "../../lib/concurrency";
import type { Deps } from "../deps";
import { engineErrorKind } from "../engine-errors";
import { engineStatusOf } from "../instances/handles";
import { syncInstance } from "../instances/mirror";
import { originalName } from "../workflows";

/** Instances one expiry batch removes at most: one D1 statement, then this many journals. */
export const EXPIRY_BATCH = 100;

/** Journals (and engine instances) cleared at once within a batch. */
export const JOURNAL_CLEAR_CONCURRENCY = 25;

export type ExpiredInstance = { workflowId: string; workflowName: string; id: string };

/**
 * Removes up to `limit` finished instances whose retention ended by `now`, earliest first: their
 * index rows (and so their counts), their journals, and their rows in the ledgers of the
 * workflow's bulk jobs. The engine's instance goes too when this API created it (the engine was
 * given the very retention the index keeps, so both forget it at the same moment), and any
 * instance where the engine forgets nothing by itself (`wrangler dev`: `expireInEngine`). One
 * the engine has restarted meanwhile is indexed again instead. Unfinished instances have no
 * expiry and never go.
 */
export async function expireInstances(
  deps: Deps,
  { now = Date.now(), limit = EXPIRY_BATCH }: { now?: number; limit?: number } = {},
): Promise<ExpiredInstance[]> {
  const { db } = deps;
  const due = await db
    .select({
      rowid: sql<number>`rowid`,
      workflowId: instances.workflowId,
      id: instances.id,
      retention: instances.retention,
    })
    .from(instances)
    .where(lte(instances.expiresOn, new Date(now)))
    .orderBy(asc(instances.expiresOn))
    .limit(limit);
  if (due.length === 0) return [];
  const names = new Map(
    (
      await db
        .select({ id: workflows.id, name: workflows.name })
        .from(workflows)
        .where(inArray(workflows.id, [...new Set(due.map((row) => row.workflowId))]))
    ).map((workflow) => [workflow.id, originalName(workflow.name)]),
  );
  // The engine forgets first: a read by id in between then finds nothing to index again.
  const forgotten: (ExpiredInstance & { rowid: number })[] = [];
  await forEachConcurrently(due, JOURNAL_CLEAR_CONCURRENCY, async ({ rowid, workflowId, id, retention }) => {
    const workflowName = names.get(workflowId);
    if (!workflowName) return;
    const instance = { workflowId, workflowName, id };
    const remove = deps.expireInEngine || retention !== null;
    if ((await forgetInEngine(deps, instance, { remove })) === "forgotten") forgotten.push({ ...instance, rowid });
  });
  // Only rows still due go: a restart since (its expiry cleared) keeps its row. Which went is
  // read back rather than taken from the delete's answer, which a failure may have lost.
  await retried(() =>
    batchAll(
      db,
      chunkForStatement(
        forgotten.map((instance) => instance.rowid),
        1,
      ).map((rowids) =>
        db.delete(instances).where(and(inArray(sql`rowid`, rowids), lte(instances.expiresOn, new Date(now)))),
      ),
    ),
  );
  const kept = await stillIndexed(deps, forgotten);
  const expired = forgotten
    .filter((instance) => !kept.has(`${instance.workflowId}/${instance.id}`))
    .map(({ rowid: _, ...instance }) => instance);
  await forEachConcurrently(expired, JOURNAL_CLEAR_CONCURRENCY, async ({ workflowName, id }) => {
    await retried(() => deps.journal(workflowName, id).clear());
  });
  await forgetInLedgers(deps, expired);
  return expired;
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

/** Which of `candidates` the index still holds, as `workflowId/id`. */
async function stillIndexed(deps: Deps, candidates: ExpiredInstance[]): Promise<Set<string>> {
  const kept = new Set<string>();
  for (const [workflowId, group] of Map.groupBy(candidates, (instance) => instance.workflowId)) {
    for (const ids of chunkForStatement(
      group.map((instance) => instance.id),
      1,
    )) {
      const rows = await deps.db
        .select({ id: instances.id })
        .from(instances)
        .where(and(eq(instances.workflowId, workflowId), inArray(instances.id, ids)));
      for (const row of rows) kept.add(`${workflowId}/${row.id}`);
    }
  }
  return kept;
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
