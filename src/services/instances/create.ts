import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import { batchAll, chunk, chunkForStatement, type Db, retried, rowsPerInsert } from "../../db/client";
import { instances, type Retention, workflows, workflowVersions } from "../../db/schema";
import { errorInfo } from "../../domain/errors";
import type { InstanceStatus, TriggerSource } from "../../domain/instance-status";
import type { Labels } from "../../domain/labels";
import { ApiError, ERRORS, workflowNotFound } from "../../lib/errors";
import { type Duration, retentionInMs } from "../../lib/time";
import type { Deps } from "../deps";
import { toApiError } from "../engine-errors";
import { type Capacity, capacityOf, refuseWhenFull } from "../retention/capacity";
import { type EffectiveRetention, effectiveRetention, effectiveRetentionSql, getSettings } from "../retention/settings";
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
  /** The caller's labels; the workflow's label paths add theirs when the row is written. */
  labels?: Labels | undefined;
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
  const reservedAt = Date.now();
  let answer: [Capacity, Awaited<ReturnType<typeof reserveWithDefinition>>];
  try {
    answer = await Promise.all([capacityOf(db), reserveWithDefinition(db, workflowName, id, input, reservedAt)]);
  } catch (error) {
    // The reservation may have been written with only its answer lost: it must not block a retry.
    await settle(retried(() => dropReservations(db, workflowName, [id], reservedAt)));
    throw error;
  }
  const [capacity, [[definition], [reservation]]] = answer;
  if (!definition) throw workflowNotFound(workflowName);
  const { workflow } = definition;
  if (!reservation) {
    throw new ApiError("instanceAlreadyExists", `Instance '${id}' of workflow '${workflowName}' already exists`);
  }
  try {
    refuseWhenFull(capacity);
    await bindingOf(deps.engines, workflow).engine.create(
      engineOptions(id, input, reservedRetention(reservation.retention)),
    );
  } catch (error) {
    await settle(retried(() => release(db, workflow.id, [id])));
    throw toApiError(error, { workflowName, instanceId: id });
  }
  return created(workflow, id);
}

/** The workflow's definition and the reservation of `id`, in one round trip. */
function reserveWithDefinition(db: Db, workflowName: string, id: string, input: CreateInstanceInput, at: number) {
  return db.batch([selectDefinition(db, workflowName), reserveOne(db, workflowName, id, input, at)]);
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
  const [{ workflow, retention: versionRetention, bound }, settings] = await Promise.all([
    resolveRunnable(deps, workflowName),
    getSettings(deps.db),
  ]);
  refuseWhenFull(await capacityOf(deps.db));
  const items = inputs.map((input, index): BatchItem => {
    const own = input.instance_retention ? retentionInMs(input.instance_retention) : null;
    const retention = effectiveRetention(own, versionRetention, settings.default_retention);
    const option = engineOptions(input.instance_id ?? crypto.randomUUID(), input, retention);
    return { index, option, retention, labels: input.labels };
  });
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
  const reservedAt = Date.now();
  let reservedIds: string[];
  try {
    reservedIds = await reserveMany(deps.db, workflow, firsts, reservedAt);
  } catch (error) {
    const ids = firsts.map(({ option }) => option.id);
    await settle(retried(() => dropReservations(deps.db, workflowName, ids, reservedAt)));
    throw error;
  }
  const reserved = new Set(reservedIds);
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
    await settle(retried(() => release(deps.db, workflow.id, idsNotIn(toCreate, createdIds))));
    throw toApiError(error, { workflowName, instanceId: toCreate[0]?.option.id ?? "" });
  }
  // Ids the engine refused (it knew them already) are not ours to keep.
  await retried(() => release(deps.db, workflow.id, idsNotIn(toCreate, createdIds)));
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

/** The binding's create options, with the retention the index keeps for the instance. */
function engineOptions(id: string, input: CreateInstanceInput, retention: EffectiveRetention): EngineCreateOptions {
  return {
    id,
    ...(input.params === undefined ? {} : { params: input.params }),
    ...(input.location_hint ? { locationHint: input.location_hint } : {}),
    retention: { successRetention: retention.success_retention, errorRetention: retention.error_retention },
  };
}

/** Labels as the index stores them: none is null, not `{}`. */
function labelsOrNull(labels: Labels | undefined): Labels | null {
  return labels && Object.keys(labels).length > 0 ? labels : null;
}

function labelsJson(labels: Labels | undefined): string | null {
  const stored = labelsOrNull(labels);
  return stored === null ? null : JSON.stringify(stored);
}

/** A single create's reservation holds both fields (`effectiveRetentionSql` sets them). */
function reservedRetention(retention: Retention | null): EffectiveRetention {
  const success = retention?.success_retention;
  const error = retention?.error_retention;
  if (success === undefined || error === undefined) throw new Error("the reservation holds no retention");
  return { success_retention: success, error_retention: error };
}

function created(workflow: WorkflowRow, id: string): InstanceCreated {
  return { id, status: "queued", version_id: workflow.versionId, workflow_id: workflow.id, trigger_source: "api" };
}

/** One instance of a batch: its position, what the engine is given, and the retention it keeps. */
type BatchItem = {
  index: number;
  option: EngineCreateOptions;
  retention: EffectiveRetention;
  labels: Labels | undefined;
};

function idsNotIn(items: BatchItem[], ids: ReadonlySet<string>): string[] {
  return items.map(({ option }) => option.id).filter((id) => !ids.has(id));
}

// ---------------------------------------------------------------------------------------------
// Reservations: queued index rows written before the engine is asked, dropped if it refuses
// ---------------------------------------------------------------------------------------------

/**
 * Reserves `id` for the workflow named `workflowName`, if both the workflow and the id are
 * free, with the retention it is created with; returns it.
 */
function reserveOne(
  db: Db,
  workflowName: string,
  id: string,
  { params, instance_retention, labels }: CreateInstanceInput,
  now: number,
) {
  const retention = effectiveRetentionSql(instance_retention ? retentionInMs(instance_retention) : null);
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
          labels: sql`${labelsJson(labels)}`.as("labels"),
          errorShape: sql`null`.as("error_shape"),
          failedStep: sql`null`.as("failed_step"),
          attemptFacts: sql`null`.as("attempt_facts"),
          attemptsMark: sql`null`.as("attempts_mark"),
        })
        .from(workflows)
        .innerJoin(workflowVersions, eq(workflowVersions.id, workflows.versionId))
        .where(eq(workflows.name, workflowName)),
    )
    .onConflictDoNothing()
    .returning({ id: instances.id, retention: instances.retention });
}

/** Reserves many ids (chunked under D1's 100-parameter limit); returns those that were free. */
async function reserveMany(db: Db, workflow: WorkflowRow, items: BatchItem[], at: number): Promise<string[]> {
  const now = new Date(at);
  const rows = items.map(({ option, retention, labels }) => ({
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
    retention,
    labels: labelsOrNull(labels),
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

/**
 * Drops the reservations a create made at `reservedAt`, should they exist: the D1 write that
 * made them may have committed with its answer lost. A row of another create, or one the
 * journal has indexed since, is left alone.
 */
async function dropReservations(db: Db, workflowName: string, ids: string[], reservedAt: number): Promise<void> {
  const workflowIds = db.select({ id: workflows.id }).from(workflows).where(eq(workflows.name, workflowName));
  await batchAll(
    db,
    chunkForStatement(ids, 3).map((part) =>
      db
        .delete(instances)
        .where(
          and(
            inArray(instances.workflowId, workflowIds),
            inArray(instances.id, part),
            eq(instances.createdOn, new Date(reservedAt)),
            eq(instances.revision, 0),
          ),
        ),
    ),
  );
}

/** Drops index rows, so their ids can be used again. */
export async function release(db: Db, workflowId: string | SQL, ids: string[]): Promise<void> {
  await batchAll(
    db,
    chunkForStatement(ids, 1).map((part) =>
      db.delete(instances).where(and(eq(instances.workflowId, workflowId), inArray(instances.id, part))),
    ),
  );
}

/**
 * Waits for a clean-up without letting its failure hide the error being answered; what it
 * leaves behind, the grace of `releaseIfAbandoned` removes.
 */
async function settle(cleanUp: Promise<void>): Promise<void> {
  try {
    await cleanUp;
  } catch (error) {
    console.warn(
      JSON.stringify({ level: "warn", message: "a create could not undo its reservation", error: errorInfo(error) }),
    );
  }
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
