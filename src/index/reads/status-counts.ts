import { and, count, isNotNull, lte, max } from "drizzle-orm";
import type { InstanceStatus } from "../../domain/instance-status";
import { instanceStatusCounts, instances } from "../schema";
import type { SegmentDb } from "../segment-db";

/** A segment's share of a workflow's summary: its live instances per status, and its newest creation time. */
export type StatusCounts = { counts: Partial<Record<InstanceStatus, number>>; newest: number | null };

/**
 * The maintained counts less the rows past their retention that the expiry pass has not
 * removed yet (they are gone for every read); `instances_by_expiry` bounds that scan.
 */
export function statusCounts(db: SegmentDb, now: number): StatusCounts {
  const counts: Partial<Record<InstanceStatus, number>> = {};
  for (const row of db.select().from(instanceStatusCounts).all()) counts[row.status] = row.count;
  const expired = db
    .select({ status: instances.status, value: count() })
    .from(instances)
    .where(and(isNotNull(instances.expiresOn), lte(instances.expiresOn, new Date(now))))
    .groupBy(instances.status)
    .all();
  for (const { status, value } of expired) counts[status] = Math.max(0, (counts[status] ?? 0) - value);
  const newest = db
    .select({ value: max(instances.createdOn) })
    .from(instances)
    .get()?.value;
  return { counts, newest: newest?.getTime() ?? null };
}
