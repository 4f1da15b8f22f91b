import { gt, isNull, lte, or, type SQL, sql } from "drizzle-orm";
import type { InstanceStatus } from "../../domain/instance-status";
import { labelJsonPath } from "../../domain/labels";
import { instances } from "../schema";
import type { SegmentDb } from "../segment-db";

/**
 * An instance past its retention is gone to every read from that moment on, as `GET` finds it
 * (the engine has forgotten it, or is about to), while its index row waits for the retention
 * pass (seconds). Lists leave such rows out, and counts take them off the maintained counts,
 * so a read by id, a list, a count and the exposition agree on whether an instance exists.
 * Each segment does this for its own rows: the Worker sums answers that are already live.
 */
export function unexpired(now: number): SQL | undefined {
  return or(isNull(instances.expiresOn), gt(instances.expiresOn, new Date(now)));
}

/** A segment's instances past their retention the pass has not removed yet, per status and (given a key) label value. */
export type ExpiredCount = { status: InstanceStatus; value: string | null; count: number };

/**
 * Counts the segment's rows past their retention, through `instances_by_expiry` only, so it
 * never walks the segment's history to find the few rows the retention pass has yet to remove.
 */
export function expiredCounts(db: SegmentDb, now: number, key?: string): ExpiredCount[] {
  const value =
    key === undefined ? sql<null>`null` : sql<string | null>`json_extract(${instances.labels}, ${labelJsonPath(key)})`;
  return db
    .select({
      status: instances.status,
      value: value.as("value"),
      count: sql<number>`count(*)`.as("count"),
    })
    .from(instances)
    .where(lte(instances.expiresOn, new Date(now)))
    .groupBy(instances.status, sql`value`)
    .all();
}

/** Per-status counts less the expired ones (of label `value`, when given). */
export function withoutExpired<Counts extends Partial<Record<InstanceStatus, number>>>(
  counts: Counts,
  expired: ExpiredCount[],
  value?: string | null,
): Counts {
  const live: Partial<Record<InstanceStatus, number>> = { ...counts };
  for (const row of expired) {
    if (value !== undefined && row.value !== value) continue;
    live[row.status] = (live[row.status] ?? 0) - row.count;
  }
  return live as Counts;
}
