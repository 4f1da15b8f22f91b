import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { instances, workflows } from "../../db/schema";
import { errorInfo } from "../../domain/errors";
import { forEachConcurrently } from "../../lib/concurrency";
import type { Deps } from "../deps";
import { releaseIfAbandoned } from "./create";
import { syncInstance } from "./mirror";

/** Where the sweeper's round stands: the last unfinished instance it synced. */
export type SweepPosition = { workflowId: string; createdOn: number; id: string };

export type SweepResult = { synced: number; dropped: number; failed: number; next: SweepPosition | null };

/**
 * Syncs the journals of the next `limit` unfinished instances after `after` in the sweeper's
 * round (by workflow, creation time and id, which the partial index `instances_unfinished`
 * serves), `concurrency` at once, so lists and counts follow the engine with nobody reading by
 * id. An instance the engine does not know is dropped from the index once a create has had
 * time to finish. `next` is null when the round reached its end and starts over.
 */
export async function sweepUnfinished(
  deps: Deps,
  after: SweepPosition | null,
  { limit, concurrency }: { limit: number; concurrency: number },
): Promise<SweepResult> {
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
  const result = { synced: 0, dropped: 0, failed: 0 };
  await forEachConcurrently(rows, concurrency, async (row) => {
    try {
      const synced = await syncInstance(deps, { workflowName: row.workflowName, instanceId: row.id });
      result.synced++;
      if (!synced && (await releaseIfAbandoned(deps.db, row.workflowId, row.id, row.createdOn))) {
        await deps.journal(row.workflowName, row.id).clear();
        result.dropped++;
      }
    } catch (error) {
      // One instance's engine failing must not stall the round; the next round tries it again.
      result.failed++;
      console.warn(
        JSON.stringify({ level: "warn", message: "sweep could not sync", instance: row.id, error: errorInfo(error) }),
      );
    }
  });
  const last = rows.at(-1);
  return {
    ...result,
    next:
      last && rows.length === limit
        ? { workflowId: last.workflowId, createdOn: last.createdOn.getTime(), id: last.id }
        : null,
  };
}
