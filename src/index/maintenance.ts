import { and, asc, count, eq, gt, inArray, isNotNull, lt, lte, or, sql } from "drizzle-orm";
import type { InstanceStatus } from "../domain/instance-status";
import { labelWalk, type SegmentFilter, selectFrom } from "./reads/filter";
import { errorMetrics, instanceMetrics, instances, labelMetrics, type Retention, stepMetrics } from "./schema";
import type { SegmentDb } from "./segment-db";

/** Bound parameters a statement of a Durable Object's SQLite takes at most is 100; ids go in chunks below it. */
const IDS_PER_STATEMENT = 90;

/** Where a selection goes on from: past this creation time and id. */
export type SelectionCursor = { createdOn: number; id: string };

export type SelectedInstance = { id: string; status: InstanceStatus; createdOn: number };

/**
 * Up to `limit` instances a filter matches as of `now`, after `after`, in creation order: the
 * segment's share of a bulk job's frozen target set.
 */
export function selectInstances(
  db: SegmentDb,
  filter: SegmentFilter,
  after: SelectionCursor | null,
  limit: number,
  now: number,
): SelectedInstance[] {
  const walk = labelWalk(filter, now);
  const beyond =
    after === null
      ? undefined
      : or(
          gt(walk.createdOn, new Date(after.createdOn)),
          and(eq(walk.createdOn, new Date(after.createdOn)), gt(walk.id, after.id)),
        );
  return selectFrom(db, walk, { id: instances.id, status: instances.status, createdOn: instances.createdOn })
    .where(and(walk.where, beyond))
    .orderBy(asc(walk.createdOn), asc(walk.id))
    .limit(limit)
    .all()
    .map((row) => ({ id: row.id, status: row.status, createdOn: row.createdOn.getTime() }));
}

/**
 * Up to `limit` unfinished instances after `after`, in creation order, through the partial index
 * `instances_unfinished`: the segment's share of the sweeper's round.
 */
export function unfinishedInstances(db: SegmentDb, after: SelectionCursor | null, limit: number): SelectionCursor[] {
  return db
    .select({ id: instances.id, createdOn: instances.createdOn })
    .from(instances)
    .where(
      and(
        sql`${instances.status} not in ('complete', 'errored', 'terminated')`,
        after === null ? undefined : sql`(${instances.createdOn}, ${instances.id}) > (${after.createdOn}, ${after.id})`,
      ),
    )
    .orderBy(asc(instances.createdOn), asc(instances.id))
    .limit(limit)
    .all()
    .map((row) => ({ id: row.id, createdOn: row.createdOn.getTime() }));
}

/** The statuses of those of `ids` this segment holds (expired rows included: they still exist until the pass). */
export function statusesOf(db: SegmentDb, ids: readonly string[]): { id: string; status: InstanceStatus }[] {
  return chunk(ids, IDS_PER_STATEMENT).flatMap((part) =>
    db.select({ id: instances.id, status: instances.status }).from(instances).where(inArray(instances.id, part)).all(),
  );
}

export type DueInstance = { id: string; retention: Retention | null; expiresOn: number };

/** Up to `limit` instances whose retention ended by `now`, earliest first, through `instances_by_expiry`. */
export function dueInstances(db: SegmentDb, now: number, limit: number): DueInstance[] {
  return db
    .select({ id: instances.id, retention: instances.retention, expiresOn: instances.expiresOn })
    .from(instances)
    .where(and(isNotNull(instances.expiresOn), lte(instances.expiresOn, new Date(now))))
    .orderBy(asc(instances.expiresOn))
    .limit(limit)
    .all()
    .map((row) => ({ id: row.id, retention: row.retention, expiresOn: row.expiresOn?.getTime() ?? now }));
}

/**
 * Removes those of `ids` still past their retention at `now` (one the engine restarted since has
 * its expiry cleared and stays); the triggers take them off the counts and labels.
 */
export function expireInstances(db: SegmentDb, ids: readonly string[], now: number): string[] {
  return db.transaction(() =>
    chunk(ids, IDS_PER_STATEMENT).flatMap((part) =>
      db
        .delete(instances)
        .where(and(inArray(instances.id, part), lte(instances.expiresOn, new Date(now))))
        .returning({ id: instances.id })
        .all()
        .map((row) => row.id),
    ),
  );
}

/** How many rows the segment holds, expired or not. */
export function rowCount(db: SegmentDb): number {
  return db.select({ value: count() }).from(instances).get()?.value ?? 0;
}

/** Removes up to `limit` rows, whatever they are (a deleted workflow's purge); answers their ids. */
export function purgeInstances(db: SegmentDb, limit: number): string[] {
  const oldest = db.select({ id: instances.id }).from(instances).orderBy(asc(instances.createdOn)).limit(limit);
  return db
    .delete(instances)
    .where(inArray(instances.id, oldest))
    .returning({ id: instances.id })
    .all()
    .map((row) => row.id);
}

/** Oldest bucket starts each bucket size keeps: older ones go. */
export type MetricCutoffs = { minute: number; hour: number };

/** Removes up to `limit` metric rows per table and bucket size older than the cutoffs; answers how many. */
export function trimMetrics(db: SegmentDb, cutoffs: MetricCutoffs, limit: number): number {
  let removed = 0;
  for (const table of [instanceMetrics, labelMetrics, stepMetrics]) {
    for (const [bucket, cutoff] of [
      ["m", cutoffs.minute],
      ["h", cutoffs.hour],
    ] as const) {
      const oldest = db
        .select({ rowid: sql`rowid` })
        .from(table)
        .where(and(eq(table.bucket, bucket), lt(table.start, cutoff)))
        .orderBy(asc(table.start))
        .limit(limit);
      removed += db.delete(table).where(inArray(sql`rowid`, oldest)).returning({ start: table.start }).all().length;
    }
  }
  const oldestErrors = db
    .select({ rowid: sql`rowid` })
    .from(errorMetrics)
    .where(lt(errorMetrics.start, cutoffs.hour))
    .orderBy(asc(errorMetrics.start))
    .limit(limit);
  removed += db
    .delete(errorMetrics)
    .where(inArray(sql`rowid`, oldestErrors))
    .returning({ start: errorMetrics.start })
    .all().length;
  return removed;
}

/** A segment's metric buckets, every table, as another segment absorbs them. */
export type MetricRows = {
  instance: (typeof instanceMetrics.$inferSelect)[];
  label: (typeof labelMetrics.$inferSelect)[];
  step: (typeof stepMetrics.$inferSelect)[];
  error: (typeof errorMetrics.$inferSelect)[];
};

export function exportMetrics(db: SegmentDb): MetricRows {
  return {
    instance: db.select().from(instanceMetrics).all(),
    label: db.select().from(labelMetrics).all(),
    step: db.select().from(stepMetrics).all(),
    error: db.select().from(errorMetrics).all(),
  };
}

/**
 * Adds another segment's buckets to this one's, bucket by bucket (counts summed, duration
 * histograms merged bin by bin, error groups' first and last sightings widened), in one
 * transaction: a segment dropped as a whole leaves what happened counted.
 */
export function absorbMetrics(db: SegmentDb, rows: MetricRows): void {
  db.transaction(() => {
    for (const row of rows.instance) {
      const key = and(
        eq(instanceMetrics.bucket, row.bucket),
        eq(instanceMetrics.start, row.start),
        eq(instanceMetrics.versionId, row.versionId),
      );
      const mine = db.select().from(instanceMetrics).where(key).get();
      if (!mine) db.insert(instanceMetrics).values(row).run();
      else db.update(instanceMetrics).set(summedEvents(mine, row)).where(key).run();
    }
    for (const row of rows.label) {
      const key = and(
        eq(labelMetrics.bucket, row.bucket),
        eq(labelMetrics.start, row.start),
        eq(labelMetrics.key, row.key),
        eq(labelMetrics.value, row.value),
      );
      const mine = db.select().from(labelMetrics).where(key).get();
      if (!mine) db.insert(labelMetrics).values(row).run();
      else db.update(labelMetrics).set(summedEvents(mine, row)).where(key).run();
    }
    for (const row of rows.step) {
      const key = and(
        eq(stepMetrics.bucket, row.bucket),
        eq(stepMetrics.start, row.start),
        eq(stepMetrics.versionId, row.versionId),
        eq(stepMetrics.step, row.step),
      );
      const mine = db.select().from(stepMetrics).where(key).get();
      if (!mine) db.insert(stepMetrics).values(row).run();
      else
        db.update(stepMetrics)
          .set({
            attempts: mine.attempts + row.attempts,
            failed: mine.failed + row.failed,
            instancesFailed: mine.instancesFailed + row.instancesFailed,
            durations: mergedHistogram(mine.durations, row.durations),
          })
          .where(key)
          .run();
    }
    for (const row of rows.error) {
      const key = and(
        eq(errorMetrics.start, row.start),
        eq(errorMetrics.name, row.name),
        eq(errorMetrics.shape, row.shape),
        eq(errorMetrics.versionId, row.versionId),
      );
      const mine = db.select().from(errorMetrics).where(key).get();
      if (!mine) db.insert(errorMetrics).values(row).run();
      else
        db.update(errorMetrics)
          .set({
            count: mine.count + row.count,
            firstSeen: Math.min(mine.firstSeen, row.firstSeen),
            lastSeen: Math.max(mine.lastSeen, row.lastSeen),
            exampleInstanceId: row.lastSeen > mine.lastSeen ? row.exampleInstanceId : mine.exampleInstanceId,
          })
          .where(key)
          .run();
    }
  });
}

type EventCounts = {
  created: number;
  started: number;
  completed: number;
  errored: number;
  terminated: number;
  durations: string | null;
};

function summedEvents(mine: EventCounts, theirs: EventCounts): EventCounts {
  return {
    created: mine.created + theirs.created,
    started: mine.started + theirs.started,
    completed: mine.completed + theirs.completed,
    errored: mine.errored + theirs.errored,
    terminated: mine.terminated + theirs.terminated,
    durations: mergedHistogram(mine.durations, theirs.durations),
  };
}

/** Two sparse histograms (`{ "<bin>": count }`) as one. */
function mergedHistogram(mine: string | null, theirs: string | null): string | null {
  if (theirs === null) return mine;
  if (mine === null) return theirs;
  const merged: Record<string, number> = JSON.parse(mine);
  for (const [bin, value] of Object.entries(JSON.parse(theirs) as Record<string, number>)) {
    merged[bin] = (merged[bin] ?? 0) + value;
  }
  return JSON.stringify(merged);
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let start = 0; start < items.length; start += size) parts.push(items.slice(start, start + size));
  return parts;
}
