import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { batchAll, chunkForStatement } from "../../db/client";
import { instances, workflows } from "../../db/schema";
import { forEachConcurrently } from "../../lib/concurrency";
import type { Deps } from "../deps";
import { releaseIfAbandoned } from "./create";
import { readLive } from "./read";

/** An unfinished entry the engine has not confirmed for this long is refreshed when it is read. */
export const STALE_AFTER_MS = 60_000;

/** How many unfinished instances one reconciliation run checks, and how many at once. */
const RECONCILE_BATCH = 200;
const CONCURRENCY = 8;

type Entry = { id: string; createdOn: Date };

export type ReconcileResult = { checked: number; dropped: number };

/**
 * Brings unfinished index entries in line with the engine, the least recently confirmed first,
 * at most `limit` per run. Run by the cron trigger; the entries of tracked workflows are mostly
 * current already, those of untracked ones (and whatever a lost report missed) catch up here.
 */
export async function reconcile(deps: Deps, { limit = RECONCILE_BATCH } = {}): Promise<ReconcileResult> {
  const rows = await deps.db
    .select({ workflowName: workflows.name, id: instances.id, createdOn: instances.createdOn })
    .from(instances)
    .innerJoin(workflows, eq(workflows.id, instances.workflowId))
    // Spelled as the partial index instances_to_reconcile is, so that index serves the walk.
    .where(sql`${instances.status} not in ('complete', 'errored', 'terminated')`)
    .orderBy(asc(instances.checkedOn))
    .limit(limit);
  const byWorkflow = Map.groupBy(rows, (row) => row.workflowName);
  let dropped = 0;
  for (const [workflowName, entries] of byWorkflow) {
    dropped += await refreshInstances(deps, workflowName, entries);
  }
  return { checked: rows.length, dropped };
}

/**
 * Reads each instance from the binding and lets its journal take the live status (which writes
 * the index and marks it confirmed). Entries the engine does not know are dropped once past a
 * create's grace period; returns how many were.
 */
export async function refreshInstances(deps: Deps, workflowName: string, entries: Entry[]): Promise<number> {
  const bound = deps.engines.bindingFor(workflowName);
  const [workflow] = await deps.db.select().from(workflows).where(eq(workflows.name, workflowName));
  if (!workflow) return 0;
  if (!bound) {
    // Nothing can confirm these; move them to the back of the line.
    await markChecked(deps, workflow.id, entries);
    return 0;
  }
  let dropped = 0;
  await forEachConcurrently(entries, CONCURRENCY, async (entry) => {
    const live = await readLive(bound.engine, entry.id);
    if (live) {
      await deps.journal(workflowName, entry.id).observe({
        workflowName,
        instanceId: entry.id,
        ...live,
        createdOn: entry.createdOn.getTime(),
      });
    } else if (await releaseIfAbandoned(deps.db, workflow.id, entry.id, entry.createdOn)) {
      dropped++;
    }
  });
  return dropped;
}

async function markChecked({ db }: Deps, workflowId: string, entries: Entry[]): Promise<void> {
  const now = new Date();
  const ids = entries.map((entry) => entry.id);
  await batchAll(
    db,
    chunkForStatement(ids, 2).map((part) =>
      db
        .update(instances)
        .set({ checkedOn: now })
        .where(and(eq(instances.workflowId, workflowId), inArray(instances.id, part))),
    ),
  );
}
