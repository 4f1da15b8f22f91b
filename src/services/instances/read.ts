import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { instances } from "../../db/schema";
import type { ErrorInfo } from "../../domain/errors";
import { type InstanceStatus, isFinished, type TriggerSource } from "../../domain/instance-status";
import type { JournalSnapshot, StepDetail, StepPage } from "../../domain/journal";
import { ApiError, instanceNotFound } from "../../lib/errors";
import { type Json, jsonText, parseJson } from "../../lib/json";
import { toIso } from "../../lib/time";
import type { Deps } from "../deps";
import { engineErrorKind, toApiError } from "../engine-errors";
import type { Engine } from "../engines";
import { releaseIfAbandoned } from "./create";
import { resolveRunnable, type WorkflowRow } from "./runnable";

type InstanceRow = typeof instances.$inferSelect;

/** The binding's view of an instance; the output as JSON text. */
export type LiveStatus = { status: InstanceStatus; output: string | null; error: ErrorInfo | null };

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
  output: Json;
  rollback: null;
  step_count: number;
};

/** An instance's details, and a way to read its step log a page at a time (JSON array text). */
export type InstanceReadout = {
  details: InstanceDetails;
  steps(query: { order: "asc" | "desc"; offset: number; limit: number }): Promise<StepPage>;
};

/** A step's full output, as `GET …/instances/:id/step` returns it. */
export type StepOutput = Omit<StepDetail, "output"> & { output: Json };

/**
 * Reads an instance: live status, output and error from the binding, lifecycle times and steps
 * from its journal (which learns the live status, and brings the index up to date with it).
 * An instance made straight through the binding is indexed on first sight; an index entry the
 * engine no longer knows is dropped.
 */
export async function getInstance(deps: Deps, workflowName: string, id: string): Promise<InstanceReadout> {
  const { workflow, bound } = await resolveRunnable(deps, workflowName);
  const [row, live] = await Promise.all([findIndexed(deps.db, workflow.id, id), readLive(bound.engine, id)]);
  if (!live) {
    if (row) await releaseIfAbandoned(deps.db, workflow.id, id, row.createdOn);
    throw instanceNotFound(workflowName, id);
  }
  const journal = deps.journal(workflowName, id);
  const snapshot = await journal.observe({
    workflowName,
    instanceId: id,
    ...live,
    createdOn: row?.createdOn.getTime() ?? Date.now(),
  });
  return {
    details: toDetails(workflow, row, snapshot),
    steps: (query) => journal.steps(query),
  };
}

/** One step's full output, as `GET …/instances/:id/step` returns it. */
export async function getInstanceStep(
  deps: Deps,
  workflowName: string,
  id: string,
  query: { name: string; type: "step" | "waitForEvent"; attempt?: number | undefined },
): Promise<StepOutput> {
  await resolveRunnable(deps, workflowName);
  const detail = await deps.journal(workflowName, id).step(query.name, query.type, query.attempt);
  if (!detail) {
    const attempt = query.attempt === undefined ? "" : ` attempt ${query.attempt}`;
    throw new ApiError(
      "stepNotFound",
      `Step '${query.name}' (${query.type})${attempt} not found in the log of instance '${id}' of workflow '${workflowName}'`,
    );
  }
  return { ...detail, output: parseJson(detail.output) };
}

export async function findIndexed(db: Db, workflowId: string, id: string): Promise<InstanceRow | undefined> {
  const [row] = await db
    .select()
    .from(instances)
    .where(and(eq(instances.workflowId, workflowId), eq(instances.id, id)));
  return row;
}

export async function getHandle(engine: Engine, workflowName: string, id: string): Promise<WorkflowInstance> {
  try {
    return await engine.get(id);
  } catch (error) {
    throw toApiError(error, { workflowName, instanceId: id });
  }
}

/** The binding's view of an instance, or undefined when the engine does not know it. */
export async function readLive(engine: Engine, id: string): Promise<LiveStatus | undefined> {
  let handle: WorkflowInstance;
  try {
    handle = await engine.get(id);
  } catch (error) {
    if (engineErrorKind(error) === "notFound") return undefined;
    throw error;
  }
  return liveStatusOf(handle);
}

export async function liveStatusOf(handle: WorkflowInstance): Promise<LiveStatus> {
  const { status, output, error } = await handle.status();
  return {
    // "unknown" is the binding's word for a state it cannot name; the REST API has none.
    status: status === "unknown" ? "queued" : status,
    output: jsonText(output),
    error: error ?? null,
  };
}

function toDetails(workflow: WorkflowRow, row: InstanceRow | undefined, snapshot: JournalSnapshot): InstanceDetails {
  const queued = row?.createdOn.getTime() ?? snapshot.queuedAt ?? Date.now();
  return {
    status: snapshot.status,
    params: row ? ((row.params ?? null) as Json) : parseJson(snapshot.params),
    trigger: { source: row?.triggerSource ?? snapshot.triggerSource },
    versionId: row?.versionId ?? workflow.versionId,
    queued: toIso(new Date(queued)),
    start: snapshot.startedAt === null ? null : toIso(new Date(snapshot.startedAt)),
    end: snapshot.endedAt === null ? null : toIso(new Date(snapshot.endedAt)),
    success: snapshot.status === "complete" ? true : isFinished(snapshot.status) ? false : null,
    error: snapshot.error,
    output: parseJson(snapshot.output),
    rollback: null,
    step_count: snapshot.stepCount,
  };
}
