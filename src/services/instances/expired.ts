import { and, gt, isNull, lte, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { instances } from "../../db/schema";
import type { InstanceStatus } from "../../domain/instance-status";
import { labelJsonPath } from "../../domain/labels";

/**
 * An instance past its retention is gone to every read from that moment on, as `GET` finds it
 * (the engine has forgotten it, or is about to), while its index row waits for the retention
 * pass (seconds). Lists leave such rows out, and counts take them off the maintained counts,
 * so a read by id, a list, a count and the exposition agree on whether an instance exists.
 */
export function unexpired(now: number): SQL | undefined {
  return or(isNull(instances.expiresOn), gt(instances.expiresOn, new Date(now)));
}

/** Instances past their retention the pass has not removed yet, per workflow, status and (given a key) label value. */
export type ExpiredCount = { workflowId: string; status: InstanceStatus; value: string | null; count: number };

/**
 * Counts the rows past their retention, through `instances_by_expiry` only: the workflow is
 * matched with `+workflow_id`, which SQLite does not use an index for, so it never walks a
 * workflow's whole history to find the few rows the retention pass has yet to remove.
 */
export function expiredCounts(
  db: Db,
  now: number,
  { workflowId, key }: { workflowId?: string | SQL | undefined; key?: string | undefined } = {},
) {
  const value =
    key === undefined ? sql<null>`null` : sql<string | null>`json_extract(${instances.labels}, ${labelJsonPath(key)})`;
  return db
    .select({
      workflowId: instances.workflowId,
      status: instances.status,
      value: value.as("value"),
      count: sql<number>`count(*)`.as("count"),
    })
    .from(instances)
    .where(
      and(
        lte(instances.expiresOn, new Date(now)),
        workflowId === undefined ? undefined : sql`+${instances.workflowId} = ${workflowId}`,
      ),
    )
    .groupBy(instances.workflowId, instances.status, sql`value`);
}

/** Per-status counts less the expired ones of `workflowId` (and label `value`, when given). */
export function withoutExpired<Counts extends Partial<Record<InstanceStatus, number>>>(
  counts: Counts,
  expired: ExpiredCount[],
  match: { workflowId: string; value?: string | null },
): Counts {
  const live: Partial<Record<InstanceStatus, number>> = { ...counts };
  for (const row of expired) {
    if (row.workflowId !== match.workflowId || (match.value !== undefined && row.value !== match.value)) continue;
    live[row.status] = (live[row.status] ?? 0) - row.count;
  }
  return live as Counts;
}
