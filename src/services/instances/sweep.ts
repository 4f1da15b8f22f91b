import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { instances, workflows } from "../../db/schema";
import { errorInfo } from "../../domain/errors";
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
 * in the sweeper's round (the partial index `instances_unfinished` serves the walk); fewer when
 * the round reaches its end.
 */
export async function nextUnfinished(deps: Deps, after: SweepPosition | null, limit: number): Promise<SweepEntry[]> {
  const bound = deps.engines.deployed.map((workflow) => workflow.name);
  const rows = await deps.db
    .select({
      workflowId: instances.workflowId,
      workflowName: workflows.name,
      id: instances.id,
      createdOn: instances.createdOn,
    })
    .from(instances)
    .innerJoin(workflows, eq(workflows.id, instances.workflowId))
    .where(
      and(
        sql`${instances.status} not in ('complete', 'errored', 'terminated')`,
        inArray(workflows.name, bound),
        after
          ? sql`(${instances.workflowId}, ${instances.createdOn}, ${instances.id}) > (${after.workflowId}, ${after.createdOn}, ${after.id})`
          : undefined,
      ),
    )
    .orderBy(asc(instances.workflowId), asc(instances.createdOn), asc(instances.id))
    .limit(limit);
  return rows.map((row) => ({ ...row, createdOn: row.createdOn.getTime() }));
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
        if (!synced && (await releaseIfAbandoned(deps.db, entry.workflowId, entry.id, new Date(entry.createdOn)))) {
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
