import { and, eq, sql } from "drizzle-orm";
import { instances } from "../../db/schema";
import { type Labels, labelJsonPath, MAX_LABELS } from "../../domain/labels";
import { ApiError, instanceNotFound } from "../../lib/errors";
import type { Deps } from "../deps";
import { onInstance } from "../engine-errors";
import { workflowIdOf } from "./list";
import { syncInstance } from "./mirror";
import { findIndexed } from "./read";
import { resolveRunnable } from "./runnable";

export type LabelsChange = { set?: Labels | undefined; remove?: string[] | undefined };

/**
 * Sets and removes labels of an instance in one statement (the triggers move its label index
 * and counts with it); a change that would leave more than 16 labels changes nothing. An
 * instance the index has not seen yet (made straight through a binding) is indexed from the
 * engine first.
 */
export async function patchLabels(
  deps: Deps,
  workflowName: string,
  instanceId: string,
  change: LabelsChange,
): Promise<{ id: string; labels: Labels }> {
  const patched = await applyChange(deps, workflowName, instanceId, change);
  if (patched) return patched;
  const { workflow } = await resolveRunnable(deps, workflowName);
  let row = await findIndexed(deps.db, workflow.id, instanceId);
  if (!row) {
    const target = { workflowName, instanceId };
    if (!(await onInstance(target, () => syncInstance(deps, target, { indexNow: true })))) {
      throw instanceNotFound(workflowName, instanceId);
    }
    const retried = await applyChange(deps, workflowName, instanceId, change);
    if (retried) return retried;
    row = await findIndexed(deps.db, workflow.id, instanceId);
    if (!row) throw instanceNotFound(workflowName, instanceId);
  }
  const count = Object.keys({ ...row.labels, ...change.set }).filter((key) => !change.remove?.includes(key)).length;
  throw new ApiError(
    "invalidRequest",
    `labels: an instance has at most ${MAX_LABELS} labels; this change would leave ${count}`,
  );
}

async function applyChange(deps: Deps, workflowName: string, instanceId: string, change: LabelsChange) {
  const merged = sql`json_patch(coalesce(${instances.labels}, '{}'), ${JSON.stringify(change.set ?? {})})`;
  const paths = (change.remove ?? []).map((key) => sql`${labelJsonPath(key)}`);
  const next = paths.length > 0 ? sql`json_remove(${merged}, ${sql.join(paths, sql`, `)})` : merged;
  const [row] = await deps.db
    .update(instances)
    .set({ labels: sql`nullif(${next}, '{}')` })
    .where(
      and(
        eq(instances.workflowId, workflowIdOf(workflowName)),
        eq(instances.id, instanceId),
        sql`(select count(*) from json_each(${next})) <= ${MAX_LABELS}`,
      ),
    )
    .returning({ id: instances.id, labels: instances.labels });
  return row ? { id: row.id, labels: row.labels ?? {} } : undefined;
}
