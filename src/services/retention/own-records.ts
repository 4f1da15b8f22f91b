import { and, asc, eq, inArray, isNotNull, lt, sql } from "drizzle-orm";
import {
  auditLog,
  bulkJobs,
  errorMetrics,
  instanceMetrics,
  labelMetrics,
  type MetricBucket,
  stepMetrics,
} from "../../db/schema";
import { forEachConcurrently } from "../../lib/concurrency";
import type { Deps } from "../deps";
import { HOUR_RETENTION_MS, MINUTE_RETENTION_MS } from "../metrics";
import { getSettings } from "./settings";

/** Audit records one pass deletes at most, in one statement. */
export const AUDIT_BATCH = 1_000;

/** Ended bulk jobs one pass erases at most (each its Durable Object's storage, then its row). */
export const BULK_JOB_BATCH = 20;

/** Metric buckets one pass deletes at most, per kind. */
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
  let metricBuckets = await expireMetricBuckets(deps, errorMetrics, null, now - HOUR_RETENTION_MS);
  for (const table of [instanceMetrics, labelMetrics, stepMetrics]) {
    metricBuckets += await expireMetricBuckets(deps, table, "m", now - MINUTE_RETENTION_MS);
    metricBuckets += await expireMetricBuckets(deps, table, "h", now - HOUR_RETENTION_MS);
  }
  return { auditRecords: audited.length, bulkJobs: jobs.length, metricBuckets };
}

/**
 * The oldest rows before `cutoff` of a metrics table (of one bucket size, for those that keep
 * several), a batch at a time, through its `…_by_age` index.
 */
async function expireMetricBuckets(
  { db }: Deps,
  table: typeof instanceMetrics | typeof labelMetrics | typeof stepMetrics | typeof errorMetrics,
  bucket: MetricBucket | null,
  cutoff: number,
): Promise<number> {
  const ofSize = bucket !== null && "bucket" in table ? eq(table.bucket, bucket) : undefined;
  const oldest = db
    .select({ rowid: sql`rowid` })
    .from(table)
    .where(and(ofSize, lt(table.start, cutoff)))
    .orderBy(asc(table.start))
    .limit(METRICS_BATCH);
  const deleted = await db.delete(table).where(inArray(sql`rowid`, oldest)).returning({ start: table.start });
  return deleted.length;
}

/** Erases bulk jobs, each its Durable Object's storage and then its row. */
export async function eraseBulkJobs(deps: Deps, jobIds: string[]): Promise<void> {
  if (jobIds.length === 0) return;
  await forEachConcurrently(jobIds, 5, async (jobId) => {
    await deps.bulkJob(jobId).erase();
  });
  await deps.db.delete(bulkJobs).where(inArray(bulkJobs.id, jobIds));
}
