import type { Db } from "../db/client";
import type { IndexAddress, SegmentRef } from "./config";
import { markDropped } from "./directory";
import type { IndexAccess } from "./workflow-index";

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
