import { and, asc, gte, inArray, isNull } from "drizzle-orm";
import { workflows } from "../../db/schema";
import { errorInfo } from "../../domain/errors";
import type { Jurisdiction } from "../../domain/jurisdiction";
import { directoryOf, selectSegments } from "../../index/workflow-index";
import type { Deps } from "../deps";
import { releaseIfAbandoned } from "./create";
import { syncInstance } from "./mirror";

/**
 * An unfinished instance in the sweeper's round, which goes by workflow, then segment, then
 * creation time and id; the segment is where the instance's index row lives.
 */
export type SweepEntry = {
  workflowId: string;
  workflowName: string;
  jurisdiction: Jurisdiction | null;
  seq: number;
  id: string;
  createdOn: number;
};

/** Where the round stands: the last instance a sweep took. */
export type SweepPosition = Pick<SweepEntry, "workflowId" | "seq" | "createdOn" | "id">;

export type SyncedGroup = { synced: number; dropped: number; failed: number };

/**
 * The next `limit` unfinished instances of the workflows this deployment binds after `after`
 * in the sweeper's round, asking each workflow's segments in turn from where the round stands
 * (each walks its partial index `instances_unfinished`); fewer when the round reaches its end.
 */
export async function nextUnfinished(deps: Deps, after: SweepPosition | null, limit: number): Promise<SweepEntry[]> {
  const bound = deps.engines.deployed.map((workflow) => workflow.name);
  if (bound.length === 0) return [];
  const filter = and(
    inArray(workflows.name, bound),
    isNull(workflows.deletedOn),
    after ? gte(workflows.id, after.workflowId) : undefined,
  );
  const ids = deps.db.select({ id: workflows.id }).from(workflows).where(filter);
  const [rows, segments] = await deps.db.batch([
    deps.db
      .select({ id: workflows.id, name: workflows.name, jurisdiction: workflows.jurisdiction })
      .from(workflows)
      .where(filter)
      .orderBy(asc(workflows.id)),
    selectSegments(deps.db, ids),
  ]);
  const entries: SweepEntry[] = [];
  for (const workflow of rows) {
    const address = { workflowId: workflow.id, jurisdiction: workflow.jurisdiction };
    for (const { seq } of directoryOf(workflow.id, segments)) {
      const here = after?.workflowId === workflow.id ? after : null;
      if (here && seq < here.seq) continue;
      const from = here && seq === here.seq ? { createdOn: here.createdOn, id: here.id } : null;
      const found = await deps.index.segment(address, seq).unfinished(from, limit - entries.length);
      for (const entry of found) entries.push({ ...address, workflowName: workflow.name, seq, ...entry });
      if (entries.length >= limit) return entries;
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
        const abandoned =
          !synced && (await releaseIfAbandoned(deps.index, entry, entry.seq, entry.id, new Date(entry.createdOn)));
        if (abandoned) {
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
