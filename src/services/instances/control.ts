import { eq } from "drizzle-orm";
import { workflows } from "../../db/schema";
import type { RestartFrom } from "../../domain/bulk";
import type { InstanceStatus } from "../../domain/instance-status";
import { isFinished } from "../../domain/instance-status";
import { readAddress } from "../../index/directory";
import { releaseFromIndex } from "../../index/workflow-index";
import { ApiError, ERRORS, instanceNotFound } from "../../lib/errors";
import type { Deps } from "../deps";
import { onInstance } from "../engine-errors";
import { engineStatusOf } from "./handles";
import { syncInstance } from "./mirror";
import { findIndexed, isExpired } from "./read";
import { resolveRunnable, type WorkflowRow } from "./runnable";

export type StatusChange =
  | { status: "pause" }
  | { status: "resume" }
  | { status: "terminate"; rollback?: boolean | undefined }
  | { status: "restart"; from?: RestartFrom | undefined };

export type StatusChangeResult = { status: InstanceStatus; timestamp: string };

/**
 * Pauses, resumes, terminates or restarts an instance through the binding. Only a restart
 * applies to a finished instance; anything else is refused with 409 and changes nothing. The
 * answer carries the status the instance's mirror shows once the engine's events of the change
 * are in (a restart reads the new run from its first event).
 */
export async function changeInstanceStatus(
  deps: Deps,
  workflowName: string,
  id: string,
  change: StatusChange,
): Promise<StatusChangeResult> {
  const { workflow, bound } = await resolveRunnable(deps, workflowName);
  const target = { workflowName, instanceId: id };
  return onInstance(target, async () => {
    const handle = await bound.engine.get(id);
    const before = await engineStatusOf(handle);
    if (isFinished(before)) await refuseIfExpired(deps, workflow, id);
    if (change.status !== "restart" && isFinished(before)) {
      throw new ApiError(
        "instanceStateConflict",
        `Instance '${id}' is ${before}; only a restart applies to a finished instance`,
      );
    }
    switch (change.status) {
      case "pause":
        await handle.pause();
        break;
      case "resume":
        await handle.resume();
        break;
      case "terminate":
        await handle.terminate({ rollback: change.rollback ?? false });
        break;
      case "restart":
        await handle.restart(change.from ? { from: restartPoint(change.from) } : undefined);
        break;
    }
    const snapshot = await syncInstance(deps, target, { indexNow: true, fromStart: change.status === "restart" });
    if (!snapshot) throw instanceNotFound(workflowName, id);
    return { status: snapshot.status, timestamp: new Date().toISOString() };
  });
}

/** An instance past its retention is not found, as GET says, though the engine holds it a while. */
async function refuseIfExpired(deps: Deps, workflow: WorkflowRow, id: string): Promise<void> {
  const address = await readAddress(deps.db, workflow);
  if (isExpired(await findIndexed(deps, workflow, address, id))) throw instanceNotFound(workflow.name, id);
}

/** A restart's `from` as the binding takes it: only the parts given. */
export function restartPoint({ name, count, type }: RestartFrom) {
  return { name, ...(count === undefined ? {} : { count }), ...(type === undefined ? {} : { type }) };
}

/**
 * Delivers an event to an instance; a finished instance accepts none (409). The instance's
 * journal is asked to sync soon, to mirror the wait the event may end.
 */
export async function sendInstanceEvent(
  deps: Deps,
  workflowName: string,
  id: string,
  event: { type: string; payload: unknown },
): Promise<EventSent> {
  const { workflow, bound } = await resolveRunnable(deps, workflowName);
  const target = { workflowName, instanceId: id };
  await onInstance(target, async () => {
    const handle = await bound.engine.get(id);
    const status = await engineStatusOf(handle);
    if (isFinished(status)) {
      await refuseIfExpired(deps, workflow, id);
      throw new ApiError("instanceStateConflict", `Instance '${id}' is ${status} and no longer accepts events`);
    }
    await handle.sendEvent(event);
  });
  deps.defer(deps.journal(workflowName, id).kick(target));
  return { instanceId: id, timestamp: new Date().toISOString() };
}

/** What sending an event or deleting answers, as Cloudflare's API does: the instance, and when. */
export type InstanceStamp = { instanceId: string; timestamp: string };

export type EventSent = InstanceStamp;

export type InstanceDeleted = InstanceStamp;

/** Deletes an instance and its state (a running one stops without rollback). */
export async function deleteInstance(deps: Deps, workflowName: string, id: string): Promise<InstanceDeleted> {
  const { workflow, bound } = await resolveRunnable(deps, workflowName);
  await onInstance({ workflowName, instanceId: id }, async () => (await bound.engine.get(id)).delete());
  await forgetDeleted(deps, workflow.name, [id]);
  return { instanceId: id, timestamp: new Date().toISOString() };
}

export type BatchDeleteResult = {
  deleted: { id: string }[];
  errors: { id: string; code: number; message: string }[];
};

/** Deletes up to 100 instances; one outcome per input position, as the binding reports. */
export async function deleteInstances(deps: Deps, workflowName: string, ids: string[]): Promise<BatchDeleteResult> {
  const { workflow, bound } = await resolveRunnable(deps, workflowName);
  const result = await bound.engine.deleteBatch(ids);
  const gone = new Set([
    ...result.deleted.map((entry) => entry.id),
    ...result.errors.filter((entry) => entry.code === ERRORS.instanceNotFound.code).map((entry) => entry.id),
  ]);
  await forgetDeleted(deps, workflow.name, [...gone]);
  return { deleted: result.deleted, errors: result.errors };
}

/** Forgets instances the engine deleted: their index rows (and counts) and their journals. */
export async function forgetDeleted(deps: Deps, workflowName: string, ids: string[]): Promise<void> {
  const forgetRows = async () => {
    const [workflow] = await deps.db
      .select({ id: workflows.id, jurisdiction: workflows.jurisdiction })
      .from(workflows)
      .where(eq(workflows.name, workflowName));
    if (workflow) await releaseFromIndex(deps.index, await readAddress(deps.db, workflow), ids);
  };
  await Promise.all([forgetRows(), ...ids.map((id) => deps.journal(workflowName, id).clear())]);
}
