import { and, asc, inArray, isNotNull, lt } from "drizzle-orm";
import { auditLog, bulkJobs } from "../../db/schema";
import { indexedWorkflows } from "../../index/directory";
import { SEGMENT_FAN_OUT } from "../../index/workflow-index";
import { forEachConcurrently } from "../../lib/concurrency";
import type { Deps } from "../deps";
import { getSettings } from "./settings";

/** Audit records one pass deletes at most, in one statement. */
export const AUDIT_BATCH = 1_000;

/** Ended bulk jobs one pass erases at most (each its Durable Object's storage, then its row). */
export const BULK_JOB_BATCH = 20;

/** Metric buckets one pass deletes at most, per segment and kind. */
export const METRICS_BATCH = 1_000;

export type OwnRecordsPass = { auditRecords: number; bulkJobs: number; metricBuckets: number };

/**
 * Removes, in bounded batches, what this control plane keeps of its own past its retention
 * (the account's settings): audit records older than `audit_retention`, and bulk jobs that
 * ended more than `bulk_job_retention` ago, ledger and all, and metric buckets past theirs
 * (minutes after 2 days, hours and error groups after 400). A job still running never goes.
 */
export async function expireOwnRecords(deps: Deps, now = Date.now()): Promise<OwnRecordsPass> {
  const { db } = deps;
  const settings = await getSettings(db);
  const auditCutoff = new Date(now - settings.audit_retention);
  // Audit ids grow with time: only the oldest batch by id is looked at, so a pass with nothing
  // to delete reads a thousand rows, not the whole trail (`at` has no index of its own).
  const audited = await db
    .delete(auditLog)
    .where(
      and(
        inArray(
          auditLog.id,
          db.select({ id: auditLog.id }).from(auditLog).orderBy(asc(auditLog.id)).limit(AUDIT_BATCH),
        ),
        lt(auditLog.at, auditCutoff),
      ),
    )
    .returning({ id: auditLog.id });

  const jobs = await db
    .select({ id: bulkJobs.id })
    .from(bulkJobs)
    .where(and(isNotNull(bulkJobs.endedOn), lt(bulkJobs.endedOn, new Date(now - settings.bulk_job_retention))))
    .orderBy(asc(bulkJobs.endedOn))
    .limit(BULK_JOB_BATCH);
  await eraseBulkJobs(
    deps,
    jobs.map((job) => job.id),
  );
  const metricBuckets = await expireMetrics(deps, now);
  return { auditRecords: audited.length, bulkJobs: jobs.length, metricBuckets };
}

/** Metric buckets past their retention, the oldest first, in every live segment of every workflow. */
async function expireMetrics(deps: Deps, now: number): Promise<number> {
  const segments = (await indexedWorkflows(deps.db)).flatMap((workflow) =>
    workflow.address.segments.map((segment) => ({ address: workflow.address, seq: segment.seq })),
  );
  let removed = 0;
  await forEachConcurrently(segments, SEGMENT_FAN_OUT, async ({ address, seq }) => {
    const expired = await deps.index.segment(address, seq).expireMetrics(now, METRICS_BATCH);
    removed += expired;
  });
  return removed;
}

/** Erases bulk jobs, each its Durable Object's storage and then its row. */
export async function eraseBulkJobs(deps: Deps, jobIds: string[]): Promise<void> {
  if (jobIds.length === 0) return;
  await forEachConcurrently(jobIds, 5, async (jobId) => {
    await deps.bulkJob(jobId).erase();
  });
  await deps.db.delete(bulkJobs).where(inArray(bulkJobs.id, jobIds));
}
