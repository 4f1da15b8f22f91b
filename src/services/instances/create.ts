import { and, eq, inArray, sql } from "drizzle-orm";
import { batchAll, chunk, chunkForStatement, type Db, rowsPerInsert } from "../../db/client";
import { instances, type Retention, workflows } from "../../db/schema";
import type { InstanceStatus, TriggerSource } from "../../domain/instance-status";
import { ApiError, ERRORS, workflowNotFound } from "../../lib/errors";
import { type Duration, retentionInMs } from "../../lib/time";
import type { Deps } from "../deps";
import { toApiError } from "../engine-errors";
import { ensureRoom } from "../retention/capacity";
import { bindingOf, resolveRunnable, selectDefinition, type WorkflowRow } from "./runnable";

/** What create and batch create return for each new instance. */
export type InstanceCreated = {
  id: string;
  status: InstanceStatus;
  version_id: string;
  workflow_id: string;
  trigger_source: TriggerSource;
};

export type InstanceRetention = { error_retention?: Duration | undefined; success_retention?: Duration | undefined };

export type CreateInstanceInput = {
  instance_id?: string | undefined;
  params?: unknown;
  instance_retention?: InstanceRetention | undefined;
  location_hint?: WorkflowInstanceLocationHint | undefined;
};

/**
 * Creates one instance. Its id is reserved in the index first, in the same round trip as the
 * workflow lookup, so two concurrent creates of one id cannot both succeed, whatever the
 * engine does with duplicates.
 */
export async function createInstance(
  deps: Deps,
  workflowName: string,
  input: CreateInstanceInput,
): Promise<InstanceCreated> {
  const { db } = deps;
  const id = input.instance_id ?? crypto.randomUUID();
  await ensureRoom(db);
  const [[definition], reserved] = await db.batch([
    selectDefinition(db, workflowName),
    reserveOne(db, workflowName, id, input),
  ]);
  if (!definition) throw workflowNotFound(workflowName);
  const { workflow, retention } = definition;
  if (reserved.length === 0) {
    throw new ApiError("instanceAlreadyExists", `Instance '${id}' of workflow '${workflowName}' already exists`);
  }
  try {
    await bindingOf(deps.engines, workflow).engine.create(engineOptions(id, input, retention));
  } catch (error) {
    await release(db, workflow.id, [id]);
    throw toApiError(error, { workflowName, instanceId: id });
  }
  return created(workflow, id);
}

/** The RPC limit of one `createBatch` call. */
const CREATE_BATCH_BYTES = 1024 * 1024;

/** An instance of a batch that was not created, by its position in the batch. */
export type BatchCreateError = { index: number; id?: string; code: number; message: string };

/** What a batch create reports, as the binding's object form of `createBatch` does. */
export type BatchCreateReport = { created: InstanceCreated[]; errors: BatchCreateError[] };

/** Per-item refusals, with the codes and message keys of the engine's own report. */
const ALREADY_EXISTS = {
  code: ERRORS.instanceAlreadyExists.code,
  message: "workflows.api.error.instance.already_exists",
};
const NOT_CREATED = { code: ERRORS.internal.code, message: "workflows.api.error.internal_server" };
const DUPLICATE_IN_BATCH = {
  code: ERRORS.instanceDuplicateInBatch.code,
  message: "workflows.api.error.instance.duplicate_in_batch",
};

/**
 * Creates up to 100 instances, and reports each one that was not created: an id that already
 * exists, or repeats an earlier one of the batch (whose first occurrence is created), or that
 * the engine refused. Errors come in the order of the batch.
 */
export async function createInstanceBatch(
  deps: Deps,
  workflowName: string,
  inputs: CreateInstanceInput[],
): Promise<BatchCreateReport> {
  const { workflow, retention, bound } = await resolveRunnable(deps, workflowName);
  await ensureRoom(deps.db);
  const items = inputs.map(
    (input, index): BatchItem => ({
      index,
      option: engineOptions(input.instance_id ?? crypto.randomUUID(), input, retention),
      ownRetention: input.instance_retention ? retentionInMs(input.instance_retention) : null,
    }),
  );
  const errors: BatchCreateError[] = [];
  const seen = new Set<string>();
  const firsts = items.filter(({ index, option }) => {
    if (seen.has(option.id)) {
      errors.push({ index, id: option.id, ...DUPLICATE_IN_BATCH });
      return false;
    }
    seen.add(option.id);
    return true;
  });
  const reserved = new Set(await reserveMany(deps.db, workflow, firsts));
  const toCreate = firsts.filter(({ index, option }) => {
    if (reserved.has(option.id)) return true;
    errors.push({ index, id: option.id, ...ALREADY_EXISTS });
    return false;
  });
  const createdIds = new Set<string>();
  try {
    for (const batch of chunkBySize(toCreate, CREATE_BATCH_BYTES)) {
      const result = await bound.engine.createBatch({ instances: batch.map(({ option }) => option) });
      for (const instance of result.created) createdIds.add(instance.id);
      for (const refused of result.errors) {
        const item = batch[refused.index];
        if (item) errors.push({ index: item.index, id: item.option.id, code: refused.code, message: refused.message });
      }
    }
  } catch (error) {
    await release(deps.db, workflow.id, idsNotIn(toCreate, createdIds));
    throw toApiError(error, { workflowName, instanceId: toCreate[0]?.option.id ?? "" });
  }
  // Ids the engine refused (it knew them already) are not ours to keep.
  await release(deps.db, workflow.id, idsNotIn(toCreate, createdIds));
  // One error per item not created, even one the engine neither created nor reported.
  const reported = new Set(errors.map((error) => error.index));
  for (const { index, option } of toCreate) {
    if (!createdIds.has(option.id) && !reported.has(index)) errors.push({ index, id: option.id, ...NOT_CREATED });
  }
  return {
    created: toCreate
      .filter(({ option }) => createdIds.has(option.id))
      .map(({ option }) => created(workflow, option.id)),
    errors: errors.sort((a, b) => a.index - b.index),
  };
}

/**
 * Creates up to 100 instances, as Cloudflare's REST batch create and the binding's array form
 * of `createBatch` do: ids that already exist (or repeat within the batch) are skipped and
 * left out of the result.
 */
export async function createInstances(
  deps: Deps,
  workflowName: string,
  inputs: CreateInstanceInput[],
): Promise<InstanceCreated[]> {
  return (await createInstanceBatch(deps, workflowName, inputs)).created;
}

type EngineCreateOptions = WorkflowInstanceCreateOptions<unknown> & { id: string };

/** The binding's create options: the caller's retention, else the version's default. */
function engineOptions(
  id: string,
  input: CreateInstanceInput,
  defaultRetention: Retention | null,
): EngineCreateOptions {
  const retention = input.instance_retention ?? defaultRetention;
  return {
    id,
    ...(input.params === undefined ? {} : { params: input.params }),
    ...(input.location_hint ? { locationHint: input.location_hint } : {}),
    ...(retention
      ? {
          retention: {
            ...(retention.error_retention === undefined
              ? {}
              : { errorRetention: asDuration(retention.error_retention) }),
            ...(retention.success_retention === undefined
              ? {}
              : { successRetention: asDuration(retention.success_retention) }),
          },
        }
      : {}),
  };
}

/** Duration strings were validated at the edge; the binding types them as a template literal. */
function asDuration(duration: Duration): WorkflowRetentionDuration {
  return duration as WorkflowRetentionDuration;
}

function created(workflow: WorkflowRow, id: string): InstanceCreated {
  return { id, status: "queued", version_id: workflow.versionId, workflow_id: workflow.id, trigger_source: "api" };
}

/** One instance of a batch: its position, what the engine is given, and its own retention (ms). */
type BatchItem = { index: number; option: EngineCreateOptions; ownRetention: Retention | null };

function idsNotIn(items: BatchItem[], ids: ReadonlySet<string>): string[] {
  return items.map(({ option }) => option.id).filter((id) => !ids.has(id));
}

// ---------------------------------------------------------------------------------------------
// Reservations: queued index rows written before the engine is asked, dropped if it refuses
// ---------------------------------------------------------------------------------------------

/** Reserves `id` for the workflow named `workflowName`, if both the workflow and the id are free. */
function reserveOne(db: Db, workflowName: string, id: string, { params, instance_retention }: CreateInstanceInput) {
  const now = Date.now();
  const retention = instance_retention ? JSON.stringify(retentionInMs(instance_retention)) : null;
  return db
    .insert(instances)
    .select(
      db
        .select({
          workflowId: workflows.id,
          id: sql`${id}`.as("id"),
          versionId: workflows.versionId,
          status: sql`'queued'`.as("status"),
          triggerSource: sql`'api'`.as("trigger_source"),
          params: sql`${params === undefined ? null : JSON.stringify(params)}`.as("params"),
          createdOn: sql`${now}`.as("created_on"),
          startedOn: sql`null`.as("started_on"),
          endedOn: sql`null`.as("ended_on"),
          modifiedOn: sql`${now}`.as("modified_on"),
          errorName: sql`null`.as("error_name"),
          revision: sql`0`.as("revision"),
          retention: sql`${retention}`.as("retention"),
          expiresOn: sql`null`.as("expires_on"),
        })
        .from(workflows)
        .where(eq(workflows.name, workflowName)),
    )
    .onConflictDoNothing()
    .returning({ id: instances.id });
}

/** Reserves many ids (chunked under D1's 100-parameter limit); returns those that were free. */
async function reserveMany(db: Db, workflow: WorkflowRow, items: BatchItem[]): Promise<string[]> {
  const now = new Date();
  const rows = items.map(({ option, ownRetention }) => ({
    workflowId: workflow.id,
    id: option.id,
    versionId: workflow.versionId,
    status: "queued" as const,
    triggerSource: "api" as const,
    params: option.params ?? null,
    createdOn: now,
    startedOn: null,
    endedOn: null,
    modifiedOn: now,
    retention: ownRetention,
  }));
  const results = await batchAll(
    db,
    chunk(rows, rowsPerInsert(instances)).map((part) =>
      db.insert(instances).values(part).onConflictDoNothing().returning({ id: instances.id }),
    ),
  );
  return results.flat().map((row) => row.id);
}

/** How long a create may take between reserving its id and the engine knowing the instance. */
const CREATE_GRACE_MS = 60_000;

/**
 * Drops the index entry of an instance the engine does not know, once a create that reserved
 * it has had time to finish; true when it did.
 */
export async function releaseIfAbandoned(db: Db, workflowId: string, id: string, createdOn: Date): Promise<boolean> {
  if (Date.now() - createdOn.getTime() <= CREATE_GRACE_MS) return false;
  await release(db, workflowId, [id]);
  return true;
}

/** Drops index rows, so their ids can be used again. */
export async function release(db: Db, workflowId: string, ids: string[]): Promise<void> {
  await batchAll(
    db,
    chunkForStatement(ids, 1).map((part) =>
      db.delete(instances).where(and(eq(instances.workflowId, workflowId), inArray(instances.id, part))),
    ),
  );
}

/** Groups batch items so each `createBatch` call stays under the binding's RPC limit. */
function chunkBySize(items: BatchItem[], maxBytes: number): BatchItem[][] {
  const batches: BatchItem[][] = [];
  let current: BatchItem[] = [];
  let size = 0;
  for (const item of items) {
    const itemSize = JSON.stringify(item.option).length;
    if (current.length > 0 && size + itemSize > maxBytes) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += itemSize;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
