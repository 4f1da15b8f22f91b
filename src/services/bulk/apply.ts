import { eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { type BulkAction, workflows } from "../../db/schema";
import type { BulkOptions } from "../../domain/bulk";
import { type ErrorInfo, errorInfo } from "../../domain/errors";
import { FINISHED_STATUSES, type InstanceStatus } from "../../domain/instance-status";
import type { IndexAddress } from "../../index/config";
import { readAddress } from "../../index/directory";
import { acrossSegments, type IndexAccess } from "../../index/workflow-index";
import type { Deps } from "../deps";
import { engineErrorKind } from "../engine-errors";
import type { Engine } from "../engines";
import { forgetDeleted, restartPoint } from "../instances/control";
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

/** The statuses in which pause or resume has nothing left to do, with the reason it was skipped. */
function alreadyInEffect(action: BulkAction, status: InstanceStatus): string | null {
  if (FINISHED_STATUSES.has(status)) return `already ${status}`;
  if (action === "pause" && (status === "paused" || status === "waitingForPause")) return `already ${status}`;
  if (action === "resume" && status !== "paused" && status !== "waitingForPause") return `not paused (${status})`;
  return null;
}

export type Verdict = { outcome: "act" } | { outcome: "skip"; reason: string };

/**
 * What an item would come to from `status` (null: the instance is not known): the skip rules
 * below, ahead of time, for a dry run. Terminate and send_event skip a finished instance,
 * restart and delete never skip one that exists.
 */
export function verdictOf(action: BulkAction, status: InstanceStatus | null): Verdict {
  if (status === null) return { outcome: "skip", reason: "not found" };
  let reason: string | null = null;
  switch (action) {
    case "pause":
    case "resume":
      reason = alreadyInEffect(action, status);
      break;
    case "terminate":
    case "send_event":
      reason = FINISHED_STATUSES.has(status) ? `already ${status}` : null;
      break;
    case "restart":
    case "delete":
      break;
  }
  return reason === null ? { outcome: "act" } : { outcome: "skip", reason };
}

/**
 * The index's statuses of these instances of a workflow, wherever they are among its segments
 * (each live segment asked once, a few at a time); an instance it lacks is left out.
 */
export async function indexedStatuses(
  index: IndexAccess,
  address: IndexAddress,
  instanceIds: string[],
): Promise<Map<string, InstanceStatus>> {
  if (instanceIds.length === 0) return new Map();
  const answers = await acrossSegments(index, address, (segment) => segment.statuses(instanceIds));
  return new Map(answers.flat().map((row) => [row.id, row.status]));
}

/** The address of a workflow's index by the workflow's (stored) name, or null when there is no such workflow. */
export async function addressByName(db: Db, workflowName: string): Promise<IndexAddress | null> {
  const [workflow] = await db
    .select({ id: workflows.id, jurisdiction: workflows.jurisdiction })
    .from(workflows)
    .where(eq(workflows.name, workflowName));
  return workflow ? readAddress(db, workflow) : null;
}

type Item = {
  workflowName: string;
  /** The status the index last had, for actions that do not read the engine's first. */
  indexedStatus: InstanceStatus | null;
  action: BulkAction;
  options: BulkOptions;
  instanceId: string;
  /** When an earlier attempt of this item began that never recorded its outcome, else null. */
  interruptedAt: number | null;
};

const TOOK_EFFECT = "took effect before the job was interrupted";

/**
 * Applies `action` to one instance through the binding. Pause, resume, terminate and delete are
 * idempotent by their effect: one already in effect is skipped, and one an interrupted attempt
 * of this job already took counts as succeeded. A restart or an event is not: an attempt cut
 * short after it reached the engine cannot be told from one that did not, so such an item is
 * failed rather than repeated (at most once). Nothing here updates the mirror: the job has the
 * instances it changed synced once it has acted on all of them (see `BulkJob`).
 */
export async function applyToInstance(deps: Deps, engine: Engine, item: Item): Promise<ItemResult> {
  try {
    if (item.action === "delete") return await remove(deps, engine, item);
    const handle = await engine.get(item.instanceId);
    switch (item.action) {
      case "terminate":
        return await terminate(handle, item);
      case "pause":
      case "resume":
        return await pauseOrResume(handle, item);
      case "restart":
      case "send_event":
        return await once(handle, item);
    }
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
 * Terminate goes straight to the engine, which refuses an instance already finished: one call
 * fewer per instance than reading the status first, and what makes overlapping jobs terminate
 * an instance once between them (the engine applies one terminate at a time, and the second
 * finds the first's effect). The status before is the one the index last had.
 */
async function terminate(handle: WorkflowInstance, item: Item): Promise<ItemResult> {
  try {
    await handle.terminate({ rollback: item.options.rollback ?? false });
  } catch (error) {
    if (engineErrorKind(error) !== "cannotTerminate") throw error;
    const status = await engineStatusOf(handle);
    return alreadyDone(item, status, `already ${status}`);
  }
  return {
    outcome: "succeeded",
    reason: null,
    before: item.indexedStatus,
    after: item.options.rollback ? "rollingBack" : "terminated",
  };
}

/**
 * Deletes the instance with its index row and journal, as `DELETE …/instances/:id` does. Both
 * are forgotten even when the engine has no such instance: an attempt whose forgetting failed
 * after the engine's delete is retried this way.
 */
async function remove(deps: Deps, engine: Engine, item: Item): Promise<ItemResult> {
  let before: InstanceStatus | null = null;
  try {
    const handle = await engine.get(item.instanceId);
    before = await engineStatusOf(handle);
    await handle.delete();
  } catch (error) {
    if (engineErrorKind(error) !== "notFound") throw error;
    await forgetDeleted(deps, item.workflowName, [item.instanceId]);
    return item.interruptedAt !== null
      ? { outcome: "succeeded", reason: TOOK_EFFECT, before: null, after: null }
      : { outcome: "skipped", reason: "not found", before: null, after: null };
  }
  await forgetDeleted(deps, item.workflowName, [item.instanceId]);
  return { outcome: "succeeded", reason: null, before, after: null };
}

/** Restarts the instance or sends it the job's event: actions that must not be taken twice. */
async function once(handle: WorkflowInstance, item: Item): Promise<ItemResult> {
  if (item.interruptedAt !== null) {
    return {
      outcome: "failed",
      error: {
        name: "InterruptedAction",
        message: `interrupted after the ${item.action} may have reached the engine; not repeated, to not ${item.action === "restart" ? "restart" : "deliver"} twice`,
      },
      before: null,
    };
  }
  const before = await engineStatusOf(handle);
  if (item.action === "send_event") {
    // A finished instance takes no events (the API answers 409 for one).
    if (FINISHED_STATUSES.has(before))
      return { outcome: "skipped", reason: `already ${before}`, before, after: before };
    const event = item.options.event ?? { type: "event" };
    await handle.sendEvent({ type: event.type, payload: event.payload ?? null });
  } else {
    await handle.restart(item.options.from ? { from: restartPoint(item.options.from) } : undefined);
  }
  return { outcome: "succeeded", reason: null, before, after: item.action === "restart" ? "queued" : before };
}

async function pauseOrResume(handle: WorkflowInstance, item: Item): Promise<ItemResult> {
  const before = await engineStatusOf(handle);
  const inEffect = alreadyInEffect(item.action, before);
  if (inEffect !== null) return alreadyDone(item, before, inEffect);
  await (item.action === "pause" ? handle.pause() : handle.resume());
  const after = await engineStatusOf(handle);
  if (after === before) return { outcome: "skipped", reason: `no effect while ${before}`, before, after };
  return { outcome: "succeeded", reason: null, before, after };
}

/** An action already in effect: this job's own, taken before an interruption, or not. */
function alreadyDone(item: Item, status: InstanceStatus, reason: string): ItemResult {
  const tookEffectEarlier = item.interruptedAt !== null && isEffectOf(item, status);
  return {
    outcome: tookEffectEarlier ? "succeeded" : "skipped",
    reason: tookEffectEarlier ? TOOK_EFFECT : reason,
    before: status,
    after: status,
  };
}

/** Whether `status` is what the item's action leads to. */
function isEffectOf(item: Item, status: InstanceStatus): boolean {
  switch (item.action) {
    case "terminate":
      return status === "terminated" || (item.options.rollback === true && status === "rollingBack");
    case "pause":
      return status === "paused" || status === "waitingForPause";
    case "resume":
      return !FINISHED_STATUSES.has(status) && status !== "paused" && status !== "waitingForPause";
    default:
      return false;
  }
}
