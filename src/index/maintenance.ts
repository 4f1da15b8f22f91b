import { and, asc, count, eq, gt, inArray, isNotNull, lte, or, sql } from "drizzle-orm";
import type { InstanceStatus } from "../domain/instance-status";
import { labelWalk, type SegmentFilter, selectFrom } from "./reads/filter";
import { instances, type Retention } from "./schema";
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

function chunk<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let start = 0; start < items.length; start += size) parts.push(items.slice(start, start + size));
  return parts;
}
