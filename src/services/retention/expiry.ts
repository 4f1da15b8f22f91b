import { asc, inArray, lte, sql } from "drizzle-orm";
import { bulkJobs, instances, workflows } from "../../db/schema";
import { errorInfo } from "../../domain/errors";
import { forEachConcurrently } from "../../lib/concurrency";
import type { Deps } from "../deps";
import { originalName } from "../workflows";

/** Instances one expiry batch removes at most: one D1 statement, then this many journals. */
export const EXPIRY_BATCH = 100;

/** Journals (and engine instances) cleared at once within a batch. */
export const JOURNAL_CLEAR_CONCURRENCY = 25;

export type ExpiredInstance = { workflowId: string; workflowName: string; id: string };

/**
 * Removes up to `limit` finished instances whose retention ended by `now`, earliest first: their
 * index rows (and so their counts), their journals, and their rows in the ledgers of the
 * workflow's bulk jobs. Where the engine does not forget by itself (`wrangler dev`), the engine's
 * instance goes too (`expireInEngine`). Unfinished instances have no expiry and never go.
 */
export async function expireInstances(
  deps: Deps,
  { now = Date.now(), limit = EXPIRY_BATCH }: { now?: number; limit?: number } = {},
): Promise<ExpiredInstance[]> {
  const { db } = deps;
  // One statement picks and removes the rows, so one that a restart made unfinished in the
  // meantime (its expiry cleared) cannot go.
  const removed = await db
    .delete(instances)
    .where(
      inArray(
        sql`rowid`,
        db
          .select({ rowid: sql`rowid` })
          .from(instances)
          .where(lte(instances.expiresOn, new Date(now)))
          .orderBy(asc(instances.expiresOn))
          .limit(limit),
      ),
    )
    .returning({ workflowId: instances.workflowId, id: instances.id });
  if (removed.length === 0) return [];
  const names = new Map(
    (
      await db
        .select({ id: workflows.id, name: workflows.name })
        .from(workflows)
        .where(inArray(workflows.id, [...new Set(removed.map((row) => row.workflowId))]))
    ).map((workflow) => [workflow.id, originalName(workflow.name)]),
  );
  const expired = removed.flatMap((row) => {
    const workflowName = names.get(row.workflowId);
    return workflowName ? [{ ...row, workflowName }] : [];
  });
  // Should a clear fail, that journal's storage stays behind; nothing lists it, its row being gone.
  await forEachConcurrently(expired, JOURNAL_CLEAR_CONCURRENCY, async (instance) => {
    if (deps.expireInEngine) await deleteFromEngine(deps, instance);
    await deps.journal(instance.workflowName, instance.id).clear();
  });
  await forgetInLedgers(deps, expired);
  return expired;
}

/** Deletes the engine's instance; one the engine already forgot is what was wanted. */
async function deleteFromEngine(deps: Deps, { workflowName, id }: ExpiredInstance): Promise<void> {
  const engine = deps.engines.bindingFor(workflowName)?.engine;
  if (!engine) return;
  try {
    await (await engine.get(id)).delete();
  } catch (error) {
    const { message } = errorInfo(error);
    if (!/not[_ ]found/i.test(message)) {
      console.warn(
        JSON.stringify({
          level: "warn",
          message: "could not delete an expired instance",
          workflowName,
          id,
          error: errorInfo(error),
        }),
      );
    }
  }
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
