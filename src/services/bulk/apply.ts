import type { BulkAction } from "../../db/schema";
import { type ErrorInfo, errorInfo } from "../../domain/errors";
import { FINISHED_STATUSES, type InstanceStatus } from "../../domain/instance-status";
import type { Deps } from "../deps";
import { engineErrorKind } from "../engine-errors";
import type { Engine } from "../engines";
import { type LiveStatus, liveStatusOf } from "../instances/read";
import type { SummaryUpdate } from "../instances/summary";

/** What one item of a bulk job came to. `retry` means a transient failure: try again later. */
export type ItemResult =
  | {
      outcome: "succeeded" | "skipped";
      reason: string | null;
      before: InstanceStatus | null;
      after: InstanceStatus | null;
      summary: SummaryUpdate | null;
    }
  | { outcome: "failed"; error: ErrorInfo; before: InstanceStatus | null }
  | { outcome: "retry"; error: ErrorInfo; before: InstanceStatus | null };

/** The statuses in which an action has nothing left to do, with the reason it was skipped. */
function alreadyInEffect(action: BulkAction, status: InstanceStatus): string | null {
  if (FINISHED_STATUSES.has(status)) return `already ${status}`;
  if (action === "pause" && (status === "paused" || status === "waitingForPause")) return `already ${status}`;
  if (action === "resume" && status !== "paused" && status !== "waitingForPause") return `not paused (${status})`;
  return null;
}

type Item = {
  /** The job acting, which claims terminations in the instance's journal. */
  jobId: string;
  workflowName: string;
  action: BulkAction;
  instanceId: string;
  /** An earlier attempt of this item started and did not record its outcome. */
  interrupted: boolean;
  createdOn: number;
};

/**
 * Applies `action` to one instance through the binding, idempotently: an action already in
 * effect is skipped; one that an earlier, interrupted attempt of this job already took counts as
 * succeeded. The instance's journal learns the new status and returns the index write it needs,
 * which the job batches with its neighbours'.
 */
export async function applyToInstance(deps: Deps, engine: Engine, item: Item): Promise<ItemResult> {
  try {
    const handle = await engine.get(item.instanceId);
    return item.action === "terminate" ? await terminate(deps, handle, item) : await pauseOrResume(deps, handle, item);
  } catch (error) {
    switch (engineErrorKind(error)) {
      case "notFound":
        return { outcome: "skipped", reason: "not found", before: null, after: null, summary: null };
      case "invalidId":
      case "invalidRequest":
        return { outcome: "failed", error: errorInfo(error), before: null };
      default:
        return { outcome: "retry", error: errorInfo(error), before: null };
    }
  }
}

/**
 * Terminate goes straight to the engine, which refuses a finished instance: one call fewer per
 * instance than reading the status first. The status before is the journal's. The journal's
 * claim makes overlapping jobs terminate an instance once between them.
 */
async function terminate(deps: Deps, handle: WorkflowInstance, item: Item): Promise<ItemResult> {
  if (!(await deps.journal(item.workflowName, item.instanceId).claim("terminate", item.jobId))) {
    return { outcome: "skipped", reason: "terminated by another job", before: null, after: null, summary: null };
  }
  try {
    await handle.terminate();
  } catch (error) {
    if (engineErrorKind(error) !== "cannotTerminate") throw error;
    const { status } = await liveStatusOf(handle);
    return alreadyDone(item, status, `already ${status}`);
  }
  const { previous, update } = await observe(deps, item, { status: "terminated", output: null, error: null });
  return { outcome: "succeeded", reason: null, before: previous, after: "terminated", summary: update };
}

async function pauseOrResume(deps: Deps, handle: WorkflowInstance, item: Item): Promise<ItemResult> {
  const before = (await liveStatusOf(handle)).status;
  const inEffect = alreadyInEffect(item.action, before);
  if (inEffect !== null) return alreadyDone(item, before, inEffect);
  await (item.action === "pause" ? handle.pause() : handle.resume());
  const after = await liveStatusOf(handle);
  const { update } = await observe(deps, item, after);
  if (after.status === before) {
    return { outcome: "skipped", reason: `no effect while ${before}`, before, after: after.status, summary: update };
  }
  return { outcome: "succeeded", reason: null, before, after: after.status, summary: update };
}

/** An action already in effect: this job's own, taken before an interruption, or not. */
function alreadyDone(item: Item, status: InstanceStatus, reason: string): ItemResult {
  const tookEffectEarlier = item.interrupted && isEffectOf(item.action, status);
  return {
    outcome: tookEffectEarlier ? "succeeded" : "skipped",
    reason: tookEffectEarlier ? "took effect before the job was interrupted" : reason,
    before: status,
    after: status,
    summary: null,
  };
}

function observe(deps: Deps, item: Item, live: LiveStatus) {
  return deps.journal(item.workflowName, item.instanceId).observeForBatch({
    workflowName: item.workflowName,
    instanceId: item.instanceId,
    ...live,
    createdOn: item.createdOn,
    ...(item.action === "terminate" ? { action: { kind: "terminate" as const, source: "bulk" } } : {}),
  });
}

/** Whether `status` is what `action` leads to. */
function isEffectOf(action: BulkAction, status: InstanceStatus): boolean {
  switch (action) {
    case "terminate":
      return status === "terminated";
    case "pause":
      return status === "paused" || status === "waitingForPause";
    case "resume":
      return !FINISHED_STATUSES.has(status) && status !== "paused" && status !== "waitingForPause";
  }
}
