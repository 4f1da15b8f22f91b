import { and, asc, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { InstanceStatus } from "../../domain/instance-status";
import { HOUR_RETENTION_MS, MINUTE_RETENTION_MS } from "../../domain/metrics";
import {
  errorMetrics,
  instanceMetrics,
  instanceStatusCounts,
  labelMetrics,
  type MetricBucket,
  stepMetrics,
} from "../schema";
import type { SegmentDb } from "../segment-db";
import { expiredCounts, withoutExpired } from "./expired";

/**
 * The segment's metric buckets as reads need them: sums per (aligned) bucket and series, each
 * with its histograms as one JSON array (`[{ "<bin>": count }, …]`, for `mergeHistograms`), so
 * the Worker adds segments' answers bin by bin before it reads quantiles.
 */

/** A window of stored buckets, read in buckets of `size` ms (a multiple of the stored one). */
export type BucketWindow = { bucket: MetricBucket; from: number; to: number; size: number };

/** Which series a read splits into: none, versions, or the values of one metric label (optionally only some). */
export type SeriesOf = { by: "none" | "version" } | { by: "label"; key: string; grouped: boolean; values?: string[] };

export type EventSums = {
  start: number;
  series: string;
  created: number;
  started: number;
  completed: number;
  errored: number;
  terminated: number;
  durations: string | null;
};

/** The events per bucket of the window and series, from `instance_metrics` or (by label) `label_metrics`. */
export function readEventSums(db: SegmentDb, window: BucketWindow, series: SeriesOf): EventSums[] {
  const label = series.by === "label" ? series : undefined;
  const table = label ? labelMetrics : instanceMetrics;
  const start = aligned(table.start, window.size);
  const value =
    series.by === "version"
      ? sql<string>`${instanceMetrics.versionId}`
      : label?.grouped
        ? sql<string>`${labelMetrics.value}`
        : sql<string>`''`;
  return db
    .select({
      start,
      series: value,
      created: sql<number>`sum(${table.created})`,
      started: sql<number>`sum(${table.started})`,
      completed: sql<number>`sum(${table.completed})`,
      errored: sql<number>`sum(${table.errored})`,
      terminated: sql<number>`sum(${table.terminated})`,
      durations: histograms(table.durations),
    })
    .from(table)
    .where(
      and(
        inWindow(table, window),
        label ? eq(labelMetrics.key, label.key) : undefined,
        label?.values ? inArray(labelMetrics.value, label.values) : undefined,
      ),
    )
    .groupBy(start, value)
    .all();
}

export type StepSums = {
  step: string;
  start: number;
  attempts: number;
  failed: number;
  instancesFailed: number;
  durations: string | null;
};

/** Step attempts per step and bucket of the window. */
export function readStepSums(db: SegmentDb, window: BucketWindow): StepSums[] {
  const start = aligned(stepMetrics.start, window.size);
  return db
    .select({
      step: stepMetrics.step,
      start,
      attempts: sql<number>`sum(${stepMetrics.attempts})`,
      failed: sql<number>`sum(${stepMetrics.failed})`,
      instancesFailed: sql<number>`sum(${stepMetrics.instancesFailed})`,
      durations: histograms(stepMetrics.durations),
    })
    .from(stepMetrics)
    .where(inWindow(stepMetrics, window))
    .groupBy(stepMetrics.step, start)
    .all();
}

export type ErrorSums = {
  name: string;
  shape: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  versions: string[];
  example: string;
};

/**
 * Every error group (name and message shape) of the hours in [from, to): not limited here, as
 * the most frequent groups of the workflow are known only once all its segments are added up.
 */
export function readErrorSums(db: SegmentDb, from: number, to: number): ErrorSums[] {
  const rows = db
    .select({
      name: errorMetrics.name,
      shape: errorMetrics.shape,
      count: sql<number>`sum(${errorMetrics.count})`,
      firstSeen: sql<number>`min(${errorMetrics.firstSeen})`,
      lastSeen: sql<number>`max(${errorMetrics.lastSeen})`,
      versions: sql<string>`json_group_array(distinct ${errorMetrics.versionId})`,
      // The example of the group's latest hour: the instance least likely to have expired. Table
      // names spelled out, as Drizzle leaves the columns of a one-table select bare.
      example: sql<string>`(
        select latest.example_instance_id from error_metrics as latest
        where latest.name = "error_metrics"."name" and latest.shape = "error_metrics"."shape"
          and latest.start >= ${from} and latest.start < ${to}
        order by latest.last_seen desc limit 1
      )`,
    })
    .from(errorMetrics)
    .where(and(gte(errorMetrics.start, from), lt(errorMetrics.start, to)))
    .groupBy(errorMetrics.name, errorMetrics.shape)
    .all();
  return rows.map((row) => ({ ...row, versions: JSON.parse(row.versions) as string[] }));
}

export type EventTotals = Omit<EventSums, "start" | "series">;

/** The hour buckets in [from, to) (all of them without a range) as one. */
export function readEventTotals(db: SegmentDb, range: { from: number; to: number } | null): EventTotals {
  const row = db
    .select({
      created: sql<number>`coalesce(sum(${instanceMetrics.created}), 0)`,
      started: sql<number>`coalesce(sum(${instanceMetrics.started}), 0)`,
      completed: sql<number>`coalesce(sum(${instanceMetrics.completed}), 0)`,
      errored: sql<number>`coalesce(sum(${instanceMetrics.errored}), 0)`,
      terminated: sql<number>`coalesce(sum(${instanceMetrics.terminated}), 0)`,
      durations: histograms(instanceMetrics.durations),
    })
    .from(instanceMetrics)
    .where(
      and(
        sql`${instanceMetrics.bucket} = 'h'`,
        range ? gte(instanceMetrics.start, range.from) : undefined,
        range ? lt(instanceMetrics.start, range.to) : undefined,
      ),
    )
    .get();
  return row ?? { created: 0, started: 0, completed: 0, errored: 0, terminated: 0, durations: null };
}

/**
 * The segment's instances per status now: the maintained counts less the rows past their
 * retention the expiry pass has not removed yet (found through `instances_by_expiry` only).
 */
export function readLiveStatusCounts(db: SegmentDb, now: number): { status: InstanceStatus; count: number }[] {
  const counts = db.select().from(instanceStatusCounts).orderBy(asc(instanceStatusCounts.status)).all();
  const live = withoutExpired(
    Object.fromEntries(counts.map((row) => [row.status, row.count])) as Partial<Record<InstanceStatus, number>>,
    expiredCounts(db, now),
  );
  return counts.map((row) => ({ status: row.status, count: live[row.status] ?? 0 }));
}

// ---------------------------------------------------------------------------------------------
// Retention, and moving a segment's buckets into another
// ---------------------------------------------------------------------------------------------

type BucketedTable = typeof instanceMetrics | typeof labelMetrics | typeof stepMetrics;

/**
 * Deletes the oldest buckets past their retention (minutes after 2 days, hours and error groups
 * after 400), at most `limit` of each kind, through the `…_by_age` indexes; answers how many.
 */
export function expireMetricBuckets(db: SegmentDb, now: number, limit: number): number {
  let deleted = expireOldest(db, errorMetrics, undefined, now - HOUR_RETENTION_MS, limit);
  for (const table of [instanceMetrics, labelMetrics, stepMetrics] as BucketedTable[]) {
    for (const [bucket, kept] of [
      ["m", MINUTE_RETENTION_MS],
      ["h", HOUR_RETENTION_MS],
    ] as const) {
      deleted += expireOldest(db, table, sql`${table.bucket} = ${bucket}`, now - kept, limit);
    }
  }
  return deleted;
}

function expireOldest(
  db: SegmentDb,
  table: BucketedTable | typeof errorMetrics,
  ofSize: SQL | undefined,
  cutoff: number,
  limit: number,
): number {
  const oldest = db
    .select({ rowid: sql`rowid` })
    .from(table)
    .where(and(ofSize, lt(table.start, cutoff)))
    .orderBy(asc(table.start))
    .limit(limit);
  return db.delete(table).where(inArray(sql`rowid`, oldest)).returning({ start: table.start }).all().length;
}

/** Every metric row of a segment, as `exportMetricRows` reads and `absorbMetricRows` adds them. */
export type MetricRows = {
  instance: (typeof instanceMetrics.$inferSelect)[];
  label: (typeof labelMetrics.$inferSelect)[];
  step: (typeof stepMetrics.$inferSelect)[];
  error: (typeof errorMetrics.$inferSelect)[];
};

export function exportMetricRows(db: SegmentDb): MetricRows {
  return {
    instance: db.select().from(instanceMetrics).all(),
    label: db.select().from(labelMetrics).all(),
    step: db.select().from(stepMetrics).all(),
    error: db.select().from(errorMetrics).all(),
  };
}

/**
 * Adds another segment's metric rows into this one's, in one transaction: a bucket both hold
 * gets the sums of their counts and of their histograms bin by bin; an error group its earliest
 * first and latest last sighting, and the example of the later.
 */
export function absorbMetricRows(db: SegmentDb, rows: MetricRows): void {
  db.transaction((tx) => {
    for (const row of rows.instance) {
      tx.insert(instanceMetrics)
        .values(row)
        .onConflictDoUpdate({
          target: [instanceMetrics.bucket, instanceMetrics.start, instanceMetrics.versionId],
          set: addedEvents(instanceMetrics, row),
        })
        .run();
    }
    for (const row of rows.label) {
      tx.insert(labelMetrics)
        .values(row)
        .onConflictDoUpdate({
          target: [labelMetrics.bucket, labelMetrics.start, labelMetrics.key, labelMetrics.value],
          set: addedEvents(labelMetrics, row),
        })
        .run();
    }
    for (const row of rows.step) {
      tx.insert(stepMetrics)
        .values(row)
        .onConflictDoUpdate({
          target: [stepMetrics.bucket, stepMetrics.start, stepMetrics.versionId, stepMetrics.step],
          set: {
            attempts: sql`${stepMetrics.attempts} + ${row.attempts}`,
            failed: sql`${stepMetrics.failed} + ${row.failed}`,
            instancesFailed: sql`${stepMetrics.instancesFailed} + ${row.instancesFailed}`,
            durations: addedHistogram(stepMetrics.durations, row.durations),
          },
        })
        .run();
    }
    for (const row of rows.error) {
      tx.insert(errorMetrics)
        .values(row)
        .onConflictDoUpdate({
          target: [errorMetrics.start, errorMetrics.name, errorMetrics.shape, errorMetrics.versionId],
          set: {
            count: sql`${errorMetrics.count} + ${row.count}`,
            firstSeen: sql`min(${errorMetrics.firstSeen}, ${row.firstSeen})`,
            lastSeen: sql`max(${errorMetrics.lastSeen}, ${row.lastSeen})`,
            // The example of the later sighting (SET reads the row as it was before the update).
            exampleInstanceId: sql`case when ${row.lastSeen} > ${errorMetrics.lastSeen} then ${row.exampleInstanceId} else ${errorMetrics.exampleInstanceId} end`,
          },
        })
        .run();
    }
  });
}

type EventRow = typeof instanceMetrics.$inferSelect;

function addedEvents(table: typeof instanceMetrics | typeof labelMetrics, row: Omit<EventRow, "versionId">) {
  return {
    created: sql`${table.created} + ${row.created}`,
    started: sql`${table.started} + ${row.started}`,
    completed: sql`${table.completed} + ${row.completed}`,
    errored: sql`${table.errored} + ${row.errored}`,
    terminated: sql`${table.terminated} + ${row.terminated}`,
    durations: addedHistogram(table.durations, row.durations),
  };
}

/**
 * The stored histogram with another added bin by bin, in SQL so the row's current value is the
 * one merged; null when neither has one.
 */
function addedHistogram(column: SQLiteColumn, other: string | null): SQL {
  if (other === null) return sql`${column}`;
  return sql`(
    SELECT json_group_object(bin, total) FROM (
      SELECT key AS bin, sum(value) AS total FROM (
        SELECT key, value FROM json_each(coalesce(${column}, '{}'))
        UNION ALL SELECT key, value FROM json_each(${other})
      ) GROUP BY key
    )
  )`;
}

// ---------------------------------------------------------------------------------------------

/** A bucket start aligned down to `size`, inlined: a bound number is a REAL to SQLite, and the division must be an integer one. */
function aligned(start: SQLiteColumn, size: number) {
  return sql<number>`(${start} / ${sql.raw(String(size))}) * ${sql.raw(String(size))}`;
}

/** The histograms of a group as one JSON array of objects (not of strings, which would be parsed twice). */
function histograms(column: SQLiteColumn) {
  return sql<string | null>`'[' || group_concat(${column}) || ']'`;
}

function inWindow(table: BucketedTable, { bucket, from, to }: BucketWindow): SQL | undefined {
  return and(sql`${table.bucket} = ${bucket}`, gte(table.start, from), lt(table.start, to));
}
