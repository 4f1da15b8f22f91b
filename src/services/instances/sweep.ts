import { and, asc, eq, gte, inArray } from "drizzle-orm";
import { workflows } from "../../db/schema";
import { errorInfo } from "../../domain/errors";
import { addressOf, readAddress, selectSegments } from "../../index/directory";
import { segmentFor } from "../../index/workflow-index";
import type { Deps } from "../deps";
import { releaseIfAbandoned } from "./create";
import { syncInstance } from "./mirror";

/** An unfinished instance in the sweeper's round, which goes by workflow, creation time and id. */
export type SweepEntry = { workflowId: string; workflowName: string; id: string; createdOn: number };

/** Where the round stands: the last instance a sweep took. */
export type SweepPosition = Pick<SweepEntry, "workflowId" | "createdOn" | "id">;

export type SyncedGroup = { synced: number; dropped: number; failed: number };

/**
 * The next `limit` unfinished instances of the workflows this deployment binds after `after`
 * in the sweeper's round: workflow by workflow (by id), each through its segments oldest first
 * (the partial index `instances_unfinished` serves each walk); fewer when the round reaches its end.
 */
export async function nextUnfinished(deps: Deps, after: SweepPosition | null, limit: number): Promise<SweepEntry[]> {
  const bound = deps.engines.deployed.map((workflow) => workflow.name);
  if (bound.length === 0) return [];
  const rows = await deps.db
    .select({ id: workflows.id, name: workflows.name, jurisdiction: workflows.jurisdiction })
    .from(workflows)
    .where(and(inArray(workflows.name, bound), after ? gte(workflows.id, after.workflowId) : undefined))
    .orderBy(asc(workflows.id));
  const segments =
    rows.length === 0
      ? []
      : await selectSegments(
          deps.db,
          rows.map((row) => row.id),
        );
  const entries: SweepEntry[] = [];
  for (const workflow of rows) {
    const address = addressOf(workflow, segments);
    let cursor = after && after.workflowId === workflow.id ? { createdOn: after.createdOn, id: after.id } : null;
    for (const [position, ref] of address.segments.entries()) {
      const next = address.segments[position + 1];
      // A segment that ends before the cursor has nothing past it.
      if (cursor && next && next.startsOn <= cursor.createdOn) continue;
      const found = await deps.index.segment(address, ref.seq).unfinished(cursor, limit - entries.length);
      for (const row of found) entries.push({ workflowId: workflow.id, workflowName: workflow.name, ...row });
      if (entries.length >= limit) return entries;
      cursor = null;
    }
  }
  return entries;
}

/**
 * Syncs the journals of a group of instances with the engine, all at once (an idle instance's
 * sync mostly waits for its stream to fall quiet, so the group's size bounds the work in
 * flight), so lists and counts follow the engine with nobody reading by id. An instance the
 * engine does not know is dropped from the index once a create has had time to finish.
 */
export async function syncGroup(deps: Deps, entries: SweepEntry[]): Promise<SyncedGroup> {
  const result = { synced: 0, dropped: 0, failed: 0 };
  await Promise.all(
    entries.map(async (entry) => {
      try {
        const synced = await syncInstance(deps, { workflowName: entry.workflowName, instanceId: entry.id });
        result.synced++;
        if (!synced && (await releaseAbandoned(deps, entry))) {
          await deps.journal(entry.workflowName, entry.id).clear();
          result.dropped++;
        }
      } catch (error) {
        // One instance's engine failing must not stall the round; the next round tries it again.
        result.failed++;
        console.warn(
          JSON.stringify({
            level: "warn",
            message: "sweep could not sync",
            instance: entry.id,
            error: errorInfo(error),
          }),
        );
      }
    }),
  );
  return result;
}

/** Drops an entry the engine does not know from the segment of its creation time, past the create's grace. */
async function releaseAbandoned(deps: Deps, entry: SweepEntry): Promise<boolean> {
  const [workflow] = await deps.db
    .select({ id: workflows.id, jurisdiction: workflows.jurisdiction })
    .from(workflows)
    .where(eq(workflows.id, entry.workflowId));
  if (!workflow) return false;
  const address = await readAddress(deps.db, workflow);
  const { seq } = segmentFor(address.segments, entry.createdOn);
  return releaseIfAbandoned(deps.index, address, seq, entry.id, new Date(entry.createdOn));
}
