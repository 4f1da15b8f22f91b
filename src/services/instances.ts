import { and, eq, inArray } from "drizzle-orm";
import { chunk, type Db, rowsPerInsert } from "../db/client";
import { instances, type workflows, workflowVersions } from "../db/schema";
import { type InstanceStatus, isFinished, type TriggerSource } from "../domain/instance-status";
import { ApiError, instanceNotFound } from "../lib/errors";
import { type Duration, toIso } from "../lib/time";
import type { Deps } from "./deps";
import { engineErrorKind, toApiError } from "./engine-errors";
import type { BoundWorkflow, Engine } from "./engines";
import { findWorkflow } from "./workflows";

type WorkflowRow = typeof workflows.$inferSelect;
type InstanceRow = typeof instances.$inferSelect;

/** What create and batch create return for each new instance. */
export type InstanceCreated = {
  id: string;
  status: InstanceStatus;
  version_id: string;
  workflow_id: string;
  trigger_source: TriggerSource;
};

export type InstanceRetention = { error_retention?: Duration; success_retention?: Duration };

export type CreateInstanceInput = {
  instance_id?: string | undefined;
  params?: unknown;
  instance_retention?: InstanceRetention | undefined;
  location_hint?: WorkflowInstanceLocationHint | undefined;
};

/** A workflow this deployment can run: its definition and the binding that runs it. */
export type RunnableWorkflow = { workflow: WorkflowRow; bound: BoundWorkflow };

/**
 * Finds the workflow and the binding that runs it. A definition whose name this deployment
 * does not bind, or binds to another class or script, cannot reach any instance.
 */
export async function resolveRunnable({ db, engines }: Deps, workflowName: string): Promise<RunnableWorkflow> {
  const workflow = await findWorkflow(db, workflowName);
  const bound = engines.bindingFor(workflowName);
  if (!bound) {
    throw new ApiError(
      "workflowNotBound",
      `Workflow '${workflowName}' has no Workflow binding in this deployment: add a [[workflows]] entry with name = "${workflowName}" to wrangler.toml`,
    );
  }
  if (bound.className !== workflow.className || bound.scriptName !== workflow.scriptName) {
    throw new ApiError(
      "workflowNotBound",
      `Workflow '${workflowName}' is defined as class ${workflow.className} of script ${workflow.scriptName}, but this deployment binds class ${bound.className} of script ${bound.scriptName}: PUT the workflow again or fix its [[workflows]] binding`,
    );
  }
  return { workflow, bound };
}

// ---------------------------------------------------------------------------------------------
// Create
// ---------------------------------------------------------------------------------------------

/**
 * Creates one instance. The id is reserved in the index first, so two concurrent creates of
 * one id cannot both succeed, whatever the engine does with duplicates.
 */
export async function createInstance(
  deps: Deps,
  workflowName: string,
  input: CreateInstanceInput,
): Promise<InstanceCreated> {
  const { workflow, bound } = await resolveRunnable(deps, workflowName);
  const options = await engineOptions(deps.db, workflow, input);
  const reserved = await reserve(deps.db, workflow, [{ id: options.id, params: input.params }]);
  if (reserved.length === 0) {
    throw new ApiError(
      "instanceAlreadyExists",
      `Instance '${options.id}' of workflow '${workflowName}' already exists`,
    );
  }
  try {
    await bound.engine.create(options);
  } catch (error) {
    await release(deps.db, workflow.id, [options.id]);
    throw toApiError(error, { workflowName, instanceId: options.id });
  }
  return created(workflow, options.id);
}

/** The RPC limit of one `createBatch` call. */
const CREATE_BATCH_BYTES = 1024 * 1024;

/**
 * Creates up to 100 instances. Like the binding's `createBatch`, ids that already exist (or
 * repeat within the batch) are skipped and left out of the result.
 */
export async function createInstances(
  deps: Deps,
  workflowName: string,
  inputs: CreateInstanceInput[],
): Promise<InstanceCreated[]> {
  const { workflow, bound } = await resolveRunnable(deps, workflowName);
  const options = await Promise.all(inputs.map((input) => engineOptions(deps.db, workflow, input)));
  const reserved = new Set(
    await reserve(
      deps.db,
      workflow,
      options.map((option) => ({ id: option.id, params: option.params })),
    ),
  );
  // A repeated id is reserved once; the first occurrence wins, like the binding.
  const toCreate = options.filter((option) => reserved.delete(option.id));
  const createdIds: string[] = [];
  for (const batch of chunkBySize(toCreate, CREATE_BATCH_BYTES)) {
    try {
      const result = await bound.engine.createBatch({ instances: batch });
      createdIds.push(...result.created.map((instance) => instance.id));
    } catch (error) {
      await release(
        deps.db,
        workflow.id,
        toCreate.map((option) => option.id).filter((id) => !createdIds.includes(id)),
      );
      throw toApiError(error, { workflowName, instanceId: batch[0]?.id ?? "" });
    }
  }
  const createdSet = new Set(createdIds);
  const refused = toCreate.map((option) => option.id).filter((id) => !createdSet.has(id));
  if (refused.length > 0) await release(deps.db, workflow.id, refused);
  return toCreate.filter((option) => createdSet.has(option.id)).map((option) => created(workflow, option.id));
}

type EngineCreateOptions = WorkflowInstanceCreateOptions<unknown> & { id: string };

async function engineOptions(db: Db, workflow: WorkflowRow, input: CreateInstanceInput): Promise<EngineCreateOptions> {
  const retention = input.instance_retention ?? (await defaultRetention(db, workflow));
  return {
    id: input.instance_id ?? crypto.randomUUID(),
    ...(input.params === undefined ? {} : { params: input.params }),
    ...(input.location_hint ? { locationHint: input.location_hint } : {}),
    ...(retention
      ? {
          retention: {
            ...(retention.error_retention === undefined
              ? {}
              : { errorRetention: asEngineDuration(retention.error_retention) }),
            ...(retention.success_retention === undefined
              ? {}
              : { successRetention: asEngineDuration(retention.success_retention) }),
          },
        }
      : {}),
  };
}

async function defaultRetention(db: Db, workflow: WorkflowRow): Promise<InstanceRetention | undefined> {
  const [version] = await db
    .select({ retention: workflowVersions.defaultRetention })
    .from(workflowVersions)
    .where(eq(workflowVersions.id, workflow.versionId));
  return version?.retention ?? undefined;
}

/** Duration strings were validated at the edge; the binding types them as a template literal. */
function asEngineDuration(duration: Duration): WorkflowRetentionDuration {
  return duration as WorkflowRetentionDuration;
}

function created(workflow: WorkflowRow, id: string): InstanceCreated {
  return { id, status: "queued", version_id: workflow.versionId, workflow_id: workflow.id, trigger_source: "api" };
}

/** Inserts queued index rows; returns the ids that were free (existing ones are left alone). */
async function reserve(db: Db, workflow: WorkflowRow, entries: { id: string; params: unknown }[]): Promise<string[]> {
  const now = new Date();
  const rows = entries.map((entry) => ({
    workflowId: workflow.id,
    id: entry.id,
    versionId: workflow.versionId,
    status: "queued" as const,
    triggerSource: "api" as const,
    params: entry.params ?? null,
    createdOn: now,
    startedOn: null,
    endedOn: null,
    modifiedOn: now,
  }));
  const [first, ...rest] = chunk(rows, rowsPerInsert(10)).map((part) =>
    db.insert(instances).values(part).onConflictDoNothing().returning({ id: instances.id }),
  );
  if (!first) return [];
  const results = await db.batch([first, ...rest]);
  return results.flat().map((row) => row.id);
}

/** Drops index rows the engine refused, so their ids can be used again. */
async function release(db: Db, workflowId: string, ids: string[]): Promise<void> {
  const [first, ...rest] = chunk(ids, 99).map((part) =>
    db.delete(instances).where(and(eq(instances.workflowId, workflowId), inArray(instances.id, part))),
  );
  if (first) await db.batch([first, ...rest]);
}

/** Groups create options so each `createBatch` call stays under the binding's RPC limit. */
function chunkBySize(options: EngineCreateOptions[], maxBytes: number): EngineCreateOptions[][] {
  const batches: EngineCreateOptions[][] = [];
  let current: EngineCreateOptions[] = [];
  let size = 0;
  for (const option of options) {
    const optionSize = JSON.stringify(option).length;
    if (current.length > 0 && size + optionSize > maxBytes) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(option);
    size += optionSize;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

// ---------------------------------------------------------------------------------------------
// Read one, with live state
// ---------------------------------------------------------------------------------------------

type LiveStatus = { status: InstanceStatus; output: unknown; error: { name: string; message: string } | null };

/** An instance as Cloudflare's `GET …/instances/:id` returns it. */
export type InstanceDetails = {
  status: InstanceStatus;
  params: unknown;
  trigger: { source: TriggerSource };
  versionId: string;
  queued: string;
  start: string | null;
  end: string | null;
  success: boolean | null;
  error: { name: string; message: string } | null;
  output: unknown;
  rollback: null;
  step_count: number;
  steps: [];
};

/** How long a create may take between reserving its id and the engine knowing the instance. */
const CREATE_GRACE_MS = 60_000;

/**
 * Reads an instance's live state from the binding and brings the index up to date. Instances
 * made straight through the binding are indexed on first sight; index entries the engine no
 * longer knows are dropped.
 */
export async function getInstance(deps: Deps, workflowName: string, id: string): Promise<InstanceDetails> {
  const { workflow, bound } = await resolveRunnable(deps, workflowName);
  const [row, live] = await Promise.all([findIndexed(deps.db, workflow.id, id), readLive(bound.engine, id)]);
  if (!live) {
    if (row && Date.now() - row.createdOn.getTime() > CREATE_GRACE_MS) {
      await release(deps.db, workflow.id, [id]);
    }
    throw instanceNotFound(workflowName, id);
  }
  const indexed = await recordStatus(deps.db, workflow, id, row, live.status);
  return toDetails(indexed, live);
}

async function findIndexed(db: Db, workflowId: string, id: string): Promise<InstanceRow | undefined> {
  const [row] = await db
    .select()
    .from(instances)
    .where(and(eq(instances.workflowId, workflowId), eq(instances.id, id)));
  return row;
}

async function getHandle(engine: Engine, workflowName: string, id: string): Promise<WorkflowInstance> {
  try {
    return await engine.get(id);
  } catch (error) {
    throw toApiError(error, { workflowName, instanceId: id });
  }
}

async function readLive(engine: Engine, id: string): Promise<LiveStatus | undefined> {
  let handle: WorkflowInstance;
  try {
    handle = await engine.get(id);
  } catch (error) {
    if (engineErrorKind(error) === "notFound") return undefined;
    throw error;
  }
  return liveStatusOf(handle);
}

async function liveStatusOf(handle: WorkflowInstance): Promise<LiveStatus> {
  const { status, output, error } = await handle.status();
  return {
    // "unknown" is the binding's word for a state it cannot name; the REST API has none.
    status: status === "unknown" ? "queued" : status,
    output: output ?? null,
    error: error ?? null,
  };
}

/**
 * Writes an observed status into the index (inserting the row if the index never saw the
 * instance) and keeps started/ended times consistent with it. Nothing is written when the
 * status is unchanged.
 */
async function recordStatus(
  db: Db,
  workflow: WorkflowRow,
  id: string,
  previous: InstanceRow | undefined,
  status: InstanceStatus,
  { restarted = false } = {},
): Promise<InstanceRow> {
  if (previous && previous.status === status && !restarted) return previous;
  const now = new Date();
  const rerun = restarted || (previous !== undefined && isFinished(previous.status) && !isFinished(status));
  const startedBefore = rerun ? null : (previous?.startedOn ?? null);
  const next = {
    status,
    startedOn: status === "queued" ? startedBefore : (startedBefore ?? now),
    endedOn: isFinished(status) ? (previous?.endedOn ?? now) : null,
    modifiedOn: now,
  };
  const [row] = await db
    .insert(instances)
    .values({
      workflowId: workflow.id,
      id,
      versionId: workflow.versionId,
      triggerSource: "unknown",
      params: null,
      createdOn: now,
      ...next,
    })
    .onConflictDoUpdate({ target: [instances.workflowId, instances.id], set: next })
    .returning();
  if (!row) throw new Error(`Upsert of instance ${id} returned no row`);
  return row;
}

function toDetails(row: InstanceRow, live: LiveStatus): InstanceDetails {
  return {
    status: row.status,
    params: row.params ?? null,
    trigger: { source: row.triggerSource },
    versionId: row.versionId,
    queued: toIso(row.createdOn),
    start: toIso(row.startedOn),
    end: toIso(row.endedOn),
    success: row.status === "complete" ? true : isFinished(row.status) ? false : null,
    error: live.error,
    output: live.output,
    rollback: null,
    step_count: 0,
    steps: [],
  };
}

// ---------------------------------------------------------------------------------------------
// Change status, send events, delete
// ---------------------------------------------------------------------------------------------

export type StatusChange =
  | { status: "pause" }
  | { status: "resume" }
  | { status: "terminate"; rollback?: boolean | undefined }
  | {
      status: "restart";
      from?:
        | { name: string; count?: number | undefined; type?: "do" | "sleep" | "waitForEvent" | undefined }
        | undefined;
    };

export type StatusChangeResult = { status: InstanceStatus; timestamp: string };

/**
 * Pauses, resumes, terminates or restarts an instance through the binding. Only a restart
 * applies to a finished instance; anything else is refused with 409 and changes nothing.
 */
export async function changeInstanceStatus(
  deps: Deps,
  workflowName: string,
  id: string,
  change: StatusChange,
): Promise<StatusChangeResult> {
  const { workflow, bound } = await resolveRunnable(deps, workflowName);
  const handle = await getHandle(bound.engine, workflowName, id);
  const before = await liveStatusOf(handle);
  if (change.status !== "restart" && isFinished(before.status)) {
    throw new ApiError(
      "instanceStateConflict",
      `Instance '${id}' is ${before.status}; only a restart applies to a finished instance`,
    );
  }
  try {
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
        await handle.restart(change.from ? { from: change.from } : undefined);
        break;
    }
  } catch (error) {
    throw toApiError(error, { workflowName, instanceId: id });
  }
  const after = await liveStatusOf(handle);
  const row = await findIndexed(deps.db, workflow.id, id);
  await recordStatus(deps.db, workflow, id, row, after.status, { restarted: change.status === "restart" });
  return { status: after.status, timestamp: new Date().toISOString() };
}

/** Delivers an event to an instance; a finished instance accepts none (409). */
export async function sendInstanceEvent(
  deps: Deps,
  workflowName: string,
  id: string,
  event: { type: string; payload: unknown },
): Promise<void> {
  const { bound } = await resolveRunnable(deps, workflowName);
  const handle = await getHandle(bound.engine, workflowName, id);
  const { status } = await liveStatusOf(handle);
  if (isFinished(status)) {
    throw new ApiError("instanceStateConflict", `Instance '${id}' is ${status} and no longer accepts events`);
  }
  try {
    await handle.sendEvent(event);
  } catch (error) {
    throw toApiError(error, { workflowName, instanceId: id });
  }
}

export type InstanceDeleted = { instanceId: string; timestamp: string };

/** Deletes an instance and its state (a running one stops without rollback). */
export async function deleteInstance(deps: Deps, workflowName: string, id: string): Promise<InstanceDeleted> {
  const { workflow, bound } = await resolveRunnable(deps, workflowName);
  const handle = await getHandle(bound.engine, workflowName, id);
  try {
    await handle.delete();
  } catch (error) {
    throw toApiError(error, { workflowName, instanceId: id });
  }
  await release(deps.db, workflow.id, [id]);
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
    ...result.errors.filter((entry) => entry.code === 10400).map((entry) => entry.id),
  ]);
  await release(deps.db, workflow.id, [...gone]);
  return { deleted: result.deleted, errors: result.errors };
}
