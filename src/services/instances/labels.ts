import { type Labels, MAX_LABELS } from "../../domain/labels";
import { readAddress } from "../../index/directory";
import type { LabelsChange } from "../../index/labels";
import { findInIndex } from "../../index/workflow-index";
import { ApiError, instanceNotFound } from "../../lib/errors";
import type { Deps } from "../deps";
import { onInstance } from "../engine-errors";
import { syncInstance } from "./mirror";
import { bindingOf, readTarget } from "./runnable";

export type { LabelsChange };

/**
 * Sets and removes labels of an instance in one statement of the segment that holds it (the
 * triggers move its label index and counts with it); a change that would leave more than 16
 * labels changes nothing. An instance the index has not seen yet (made straight through a
 * binding) is indexed from the engine first.
 */
export async function patchLabels(
  deps: Deps,
  workflowName: string,
  instanceId: string,
  change: LabelsChange,
): Promise<{ id: string; labels: Labels }> {
  const { workflow, address } = await readTarget(deps, workflowName);
  let found = await findInIndex(deps.index, address, instanceId);
  if (!found) {
    // Only the engine can tell of an instance the index has not seen, through the workflow's
    // binding: a workflow this deployment does not bind answers as every engine read does.
    bindingOf(deps.engines, workflow);
    const target = { workflowName, instanceId };
    const snapshot = await onInstance(target, () => syncInstance(deps, target, { indexNow: true }));
    if (!snapshot) throw instanceNotFound(workflowName, instanceId);
    // The sync may have opened a segment: the directory is read again.
    found = await findInIndex(deps.index, await readAddress(deps.db, workflow), instanceId, snapshot.queuedAt);
    if (!found) throw instanceNotFound(workflowName, instanceId);
  }
  const changed = await deps.index.segment(address, found.seq).changeLabels(instanceId, change);
  if (changed) return { id: instanceId, labels: changed.labels ?? {} };
  const count = Object.keys({ ...found.row.labels, ...change.set }).filter(
    (key) => !change.remove?.includes(key),
  ).length;
  if (count <= MAX_LABELS) throw instanceNotFound(workflowName, instanceId);
  throw new ApiError(
    "invalidRequest",
    `labels: an instance has at most ${MAX_LABELS} labels; this change would leave ${count}`,
  );
}
