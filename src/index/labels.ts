import { eq, sql } from "drizzle-orm";
import { type Labels, labelJsonPath, MAX_LABELS } from "../domain/labels";
import { instances } from "./schema";
import type { SegmentDb } from "./segment-db";

export type LabelsChange = { set?: Labels | undefined; remove?: string[] | undefined };

/**
 * Sets and removes labels of an instance in one statement, so concurrent changes of different
 * keys all land; a change that would leave more than `MAX_LABELS` changes nothing. The labels
 * after, or null when the row is absent or the change was refused.
 */
export function changeLabels(db: SegmentDb, id: string, change: LabelsChange): { labels: Labels | null } | null {
  const merged = sql`json_patch(coalesce(${instances.labels}, '{}'), ${JSON.stringify(change.set ?? {})})`;
  const paths = (change.remove ?? []).map((key) => sql`${labelJsonPath(key)}`);
  const next = paths.length > 0 ? sql`json_remove(${merged}, ${sql.join(paths, sql`, `)})` : merged;
  return (
    db
      .update(instances)
      .set({ labels: sql`nullif(${next}, '{}')` })
      .where(sql`${eq(instances.id, id)} and (select count(*) from json_each(${next})) <= ${MAX_LABELS}`)
      .returning({ labels: instances.labels })
      .get() ?? null
  );
}
