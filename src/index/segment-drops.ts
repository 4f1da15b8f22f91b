import type { Db } from "../db/client";
import { indexSegments, workflows } from "../db/schema";
import type { IndexAddress, SegmentRef } from "./config";
import { directoryOf, type IndexAccess, selectSegments } from "./workflow-index";

/** A workflow as retention walks it: its stored name and the address of its index. */
export type IndexedWorkflow = { id: string; name: string; deletedOn: Date | null; address: IndexAddress };

/** Every workflow (deleted ones too, until purged) with its live segments, in two D1 queries. */
export async function indexedWorkflows(db: Db): Promise<IndexedWorkflow[]> {
  const rows = await db
    .select({
      id: workflows.id,
      name: workflows.name,
      jurisdiction: workflows.jurisdiction,
      deletedOn: workflows.deletedOn,
    })
    .from(workflows);
  if (rows.length === 0) return [];
  const segments = await segmentsOf(
    db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    deletedOn: row.deletedOn,
    address: { workflowId: row.id, jurisdiction: row.jurisdiction, segments: directoryOf(row.id, segments) },
  }));
}

async function segmentsOf(db: Db, workflowIds: string[]) {
  // D1 binds at most 100 parameters a statement.
  const rows = [];
  for (let start = 0; start < workflowIds.length; start += 90) {
    rows.push(...(await selectSegments(db, workflowIds.slice(start, start + 90))));
  }
  return rows;
}

/** Records in the directory that a segment was dropped (segment 0 has no row until then). */
export async function markDropped(db: Db, workflowId: string, segment: SegmentRef, now = Date.now()): Promise<void> {
  await db
    .insert(indexSegments)
    .values({ workflowId, seq: segment.seq, startsOn: segment.startsOn, droppedOn: now })
    .onConflictDoUpdate({ target: [indexSegments.workflowId, indexSegments.seq], set: { droppedOn: now } });
}

/**
 * Drops a segment whose instances have all gone (it is full, so none will come) as a whole: its
 * metric buckets move into the newest live segment first, so what happened stays counted, then
 * its storage is erased and the directory leaves it out. The newest segment is never dropped.
 * Answers whether it was.
 */
export async function dropDrainedSegment(
  db: Db,
  index: IndexAccess,
  address: IndexAddress,
  segment: SegmentRef,
): Promise<boolean> {
  const newest = address.segments.at(-1);
  if (!newest || newest.seq === segment.seq) return false;
  const stub = index.segment(address, segment.seq);
  if (!(await stub.drainable())) return false;
  await index.segment(address, newest.seq).absorbMetrics(await stub.exportMetrics());
  // A write that reached the segment since (it was checked two calls ago) keeps it, and its
  // buckets are then counted twice: the one window this cannot close across two objects.
  if (!(await stub.drop({ ifDrained: true }))) {
    console.warn(
      JSON.stringify({ level: "warn", message: "a drained segment took a write before its drop", ...segment }),
    );
    return false;
  }
  await markDropped(db, address.workflowId, segment);
  return true;
}
