import type { ErrorInfo } from "../../domain/errors";
import { type InstanceStatus, isFinished, type TriggerSource } from "../../domain/instance-status";
import type { JournalSnapshot, RollbackOutcome, StepDetail, StepPage } from "../../domain/journal";
import type { Labels } from "../../domain/labels";
import type { IndexAddress } from "../../index/config";
import { readAddress } from "../../index/directory";
import type { InstanceRow } from "../../index/segment";
import { findInIndex } from "../../index/workflow-index";
import { ApiError, instanceNotFound } from "../../lib/errors";
import { type Json, parseJson } from "../../lib/json";
import { toIso } from "../../lib/time";
import type { Deps } from "../deps";
import { onInstance } from "../engine-errors";
import { releaseIfAbandoned } from "./create";
import { syncInstance } from "./mirror";
import { resolveIndexed, resolveRunnable, type WorkflowRow } from "./runnable";

/** An instance as Cloudflare's `GET …/instances/:id` returns it, but for its steps. */
export type InstanceDetails = {
  status: InstanceStatus;
  params: Json;
  trigger: { source: TriggerSource };
  versionId: string;
  queued: string;
  start: string | null;
  end: string | null;
  success: boolean | null;
  error: ErrorInfo | null;
  /** What run() returned, as JSON text (Cloudflare's API types it a string); null while none. */
  output: string | null;
  rollback: RollbackOutcome | null;
  step_count: number;
  /** This control plane's addition: the instance's labels. */
  labels: Labels;
};

/** An instance's details, and a way to read its step log a page at a time (JSON array text). */
export type InstanceReadout = {
  details: InstanceDetails;
  steps(query: { order: "asc" | "desc"; offset: number; limit: number }): Promise<StepPage>;
};

/** A step's full output, as `GET …/instances/:id/step` returns it. */
export type StepOutput = Omit<StepDetail, "output"> & { output: Json };

/**
 * Reads an instance as its journal mirrors the engine's events, after bringing the mirror (and
 * the index) up to date. An instance made straight through a binding is indexed on first sight;
 * an index entry the engine does not know is dropped once a create has had time to finish.
 */
export async function getInstance(deps: Deps, workflowName: string, id: string): Promise<InstanceReadout> {
  const { workflow, address } = await resolveIndexed(deps, workflowName);
  const snapshot = await onInstance({ workflowName, instanceId: id }, () =>
    syncInstance(deps, { workflowName, instanceId: id }, { indexNow: true }),
  );
  if (!snapshot) {
    const found = await findInIndex(deps.index, address, id);
    if (found) await releaseIfAbandoned(deps.index, address, found.seq, id, found.row.createdOn);
    throw instanceNotFound(workflowName, id);
  }
  // The sync indexed an instance it saw first, with the labels its params give and (finished)
  // the expiry its version's or the account's retention gives.
  const indexed = await findIndexed(deps, workflow, address, id, snapshot.queuedAt);
  if (isExpired(indexed)) throw instanceNotFound(workflowName, id);
  const journal = deps.journal(workflowName, id);
  return { details: toDetails(workflow, indexed, snapshot), steps: (query) => journal.steps(query) };
}

/**
 * Past its retention an instance is gone, as the engine has forgotten it (or is about to),
 * even before the expiry pass removes it from the index.
 */
export function isExpired(row: Pick<InstanceRow, "expiresOn"> | undefined, now = Date.now()): boolean {
  return row?.expiresOn != null && row.expiresOn.getTime() <= now;
}

/** One step's full output, as `GET …/instances/:id/step` returns it. */
export async function getInstanceStep(
  deps: Deps,
  workflowName: string,
  id: string,
  query: { name: string; type: "step" | "waitForEvent"; attempt?: number | undefined },
): Promise<StepOutput> {
  await resolveRunnable(deps, workflowName);
  const journal = deps.journal(workflowName, id);
  const read = () => journal.step(query.name, query.type, query.attempt);
  let detail = await read();
  if (!detail) {
    // Not mirrored yet, or no such instance: the engine tells which.
    const target = { workflowName, instanceId: id };
    if (!(await onInstance(target, () => syncInstance(deps, target)))) throw instanceNotFound(workflowName, id);
    detail = await read();
  }
  if (!detail) {
    const attempt = query.attempt === undefined ? "" : ` attempt ${query.attempt}`;
    throw new ApiError(
      "stepNotFound",
      `Step '${query.name}' (${query.type})${attempt} not found in the log of instance '${id}' of workflow '${workflowName}'`,
    );
  }
  return { ...detail, output: parseJson(detail.output) };
}

/**
 * An instance's index row: in the segment of `createdOn` when known (the engine's queue time is
 * close to the create's, so it is nearly always the right one), else in every segment. A sync
 * may have opened a segment since `address` was read, so a miss reads the directory again.
 */
export async function findIndexed(
  deps: Deps,
  workflow: Pick<WorkflowRow, "id" | "jurisdiction">,
  address: IndexAddress,
  id: string,
  createdOn?: number | null,
): Promise<InstanceRow | undefined> {
  const found = await findInIndex(deps.index, address, id, createdOn);
  if (found) return found.row;
  const current = await readAddress(deps.db, workflow);
  if (current.segments.length === address.segments.length) return undefined;
  return (await findInIndex(deps.index, current, id, createdOn))?.row;
}

function toDetails(workflow: WorkflowRow, row: InstanceRow | undefined, snapshot: JournalSnapshot): InstanceDetails {
  const queued = row?.createdOn.getTime() ?? snapshot.queuedAt ?? Date.now();
  return {
    status: snapshot.status,
    params: row ? ((row.params ?? null) as Json) : parseJson(snapshot.params),
    trigger: { source: row?.triggerSource ?? "unknown" },
    versionId: row?.versionId ?? workflow.versionId,
    queued: toIso(new Date(queued)),
    start: toIso(snapshot.startedAt),
    end: toIso(snapshot.endedAt),
    success: snapshot.status === "complete" ? true : isFinished(snapshot.status) ? false : null,
    error: snapshot.error,
    output: snapshot.output,
    rollback: snapshot.rollback,
    step_count: snapshot.stepCount,
    labels: row?.labels ?? {},
  };
}
