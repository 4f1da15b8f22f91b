import type { BulkAction } from "../../db/schema";
import { type ErrorInfo, errorInfo } from "../../domain/errors";
import { FINISHED_STATUSES, type InstanceStatus } from "../../domain/instance-status";
import type { Deps } from "../deps";
import { engineErrorKind } from "../engine-errors";
import type { Engine } from "../engines";
import { engineStatusOf } from "../instances/handles";

/** What one item of a bulk job came to. `retry` means a transient failure: try again later. */
export type ItemResult =
  | {
      outcome: "succeeded" | "skipped";
      reason: string | null;
      before: InstanceStatus | null;
      after: InstanceStatus | null;
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
};

/**
 * Applies `action` to one instance through the binding, idempotently: an action already in
 * effect is skipped; one that an earlier, interrupted attempt of this job already took counts as
 * succeeded. The instance's journal is asked to sync soon, and brings the index up to date with
 * the engine's events of the change.
 */
export async function applyToInstance(deps: Deps, engine: Engine, item: Item): Promise<ItemResult> {
  try {
    const handle = await engine.get(item.instanceId);
    return item.action === "terminate" ? await terminate(deps, handle, item) : await pauseOrResume(deps, handle, item);
  } catch (error) {
    switch (engineErrorKind(error)) {
      case "notFound":
        return { outcome: "skipped", reason: "not found", before: null, after: null };
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
 * instance than reading the status first. The status before is the one the journal mirrored.
 * The journal's claim makes overlapping jobs terminate an instance once between them.
 */
async function terminate(deps: Deps, handle: WorkflowInstance, item: Item): Promise<ItemResult> {
  const journal = deps.journal(item.workflowName, item.instanceId);
  const claim = await journal.claim("terminate", item.jobId);
  if (!claim.granted) {
    return { outcome: "skipped", reason: "terminated by another job", before: claim.status, after: null };
  }
  try {
    await handle.terminate();
  } catch (error) {
    if (engineErrorKind(error) !== "cannotTerminate") throw error;
    const status = await engineStatusOf(handle);
    return alreadyDone(item, status, `already ${status}`);
  }
  await kick(deps, item);
  return { outcome: "succeeded", reason: null, before: claim.status, after: "terminated" };
}

async function pauseOrResume(deps: Deps, handle: WorkflowInstance, item: Item): Promise<ItemResult> {
  const before = await engineStatusOf(handle);
  const inEffect = alreadyInEffect(item.action, before);
  if (inEffect !== null) return alreadyDone(item, before, inEffect);
  await (item.action === "pause" ? handle.pause() : handle.resume());
  const after = await engineStatusOf(handle);
  await kick(deps, item);
  if (after === before) return { outcome: "skipped", reason: `no effect while ${before}`, before, after };
  return { outcome: "succeeded", reason: null, before, after };
}

function kick(deps: Deps, item: Item): Promise<void> {
  return deps
    .journal(item.workflowName, item.instanceId)
    .kick({ workflowName: item.workflowName, instanceId: item.instanceId });
}

/** An action already in effect: this job's own, taken before an interruption, or not. */
function alreadyDone(item: Item, status: InstanceStatus, reason: string): ItemResult {
  const tookEffectEarlier = item.interrupted && isEffectOf(item.action, status);
  return {
    outcome: tookEffectEarlier ? "succeeded" : "skipped",
    reason: tookEffectEarlier ? "took effect before the job was interrupted" : reason,
    before: status,
    after: status,
  };
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
