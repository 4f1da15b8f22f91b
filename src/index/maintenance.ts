import { and, asc, sql } from "drizzle-orm";
import { instances } from "./schema";
import type { SegmentDb } from "./segment-db";

/** An unfinished instance of a segment, where the sweeper's round stands in it. */
export type UnfinishedEntry = { id: string; createdOn: number };

/**
 * The next `limit` unfinished instances after `after` in creation order (the partial index
 * `instances_unfinished` serves the walk).
 */
export function unfinished(db: SegmentDb, after: UnfinishedEntry | null, limit: number): UnfinishedEntry[] {
  return db
    .select({ id: instances.id, createdOn: instances.createdOn })
    .from(instances)
    .where(
      and(
        // Spelled as the partial index's condition, so SQLite uses it.
        sql`${instances.status} not in ('complete', 'errored', 'terminated')`,
        after ? sql`(${instances.createdOn}, ${instances.id}) > (${after.createdOn}, ${after.id})` : undefined,
      ),
    )
    .orderBy(asc(instances.createdOn), asc(instances.id))
    .limit(limit)
    .all()
    .map((row) => ({ id: row.id, createdOn: row.createdOn.getTime() }));
}
