import { retried } from "../../db/client";
import { agentLabels, withAgentLabels } from "../../domain/agent-labels";
import { errorInfo } from "../../domain/errors";
import type { InstanceStatus, TriggerSource } from "../../domain/instance-status";
import type { Labels } from "../../domain/labels";
import type { IndexAddress } from "../../index/config";
import { type IndexTarget, readAddress, type WorkflowTarget } from "../../index/directory";
import type { Reservation } from "../../index/segment";
import { type IndexAccess, releaseFromIndex, reserveInIndex } from "../../index/workflow-index";
import { ApiError, ERRORS } from "../../lib/errors";
import { type Duration, retentionInMs } from "../../lib/time";
import type { Deps } from "../deps";
import { toApiError } from "../engine-errors";
import { type EffectiveRetention, effectiveRetention, PLAN_RETENTION_MS } from "../retention/settings";
import { bindingOf, readTarget, type WorkflowRow } from "./runnable";

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
 * Creates one instance. The workflow's definition, the account's settings and the index's
 * directory are read in one D1 round trip; the id is then reserved in the index segment of the
 * creation time, so two concurrent creates of one id cannot both succeed, whatever the engine
 * does with duplicates. That segment refuses an id it holds; an id living in an older segment
 * is refused by the engine, which knows every instance not yet past its retention (409 both).
 */
export async function createInstance(
  deps: Deps,
  workflowName: string,
  input: CreateInstanceInput,
): Promise<InstanceCreated> {
  const id = input.instance_id ?? crypto.randomUUID();
  const target = await readTarget(deps, workflowName);
  const { workflow } = target;
  const retention = effectiveRetention(ownRetention(input), target.config.versionRetention, accountDefault(target));
  const reservedAt = Date.now();
  const { reserved, address } = await reserve(deps, target, [reservation(workflow, id, input, retention, reservedAt)]);
  if (reserved.length === 0) {
    throw new ApiError("instanceAlreadyExists", `Instance '${id}' of workflow '${workflowName}' already exists`);
  }
  try {
    await bindingOf(deps.engines, workflow).engine.create(engineOptions(id, input, retention));
  } catch (error) {
    await settle(retried(() => releaseFromIndex(deps.index, address, [id], reservedAt)));
    throw toApiError(error, { workflowName, instanceId: id });
  }
  return created(workflow, id);
}

/** The account's default retention as it applies: what it set, else the plan's. */
function accountDefault({ config }: IndexTarget): EffectiveRetention {
  return {
    success_retention: config.accountRetention?.success_retention ?? PLAN_RETENTION_MS,
    error_retention: config.accountRetention?.error_retention ?? PLAN_RETENTION_MS,
  };
}

function ownRetention(input: CreateInstanceInput) {
  return input.instance_retention ? retentionInMs(input.instance_retention) : null;
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
  const target = await readTarget(deps, workflowName);
  const { workflow } = target;
  const bound = bindingOf(deps.engines, workflow);
  const items = inputs.map((input, index): BatchItem => {
    const retention = effectiveRetention(ownRetention(input), target.config.versionRetention, accountDefault(target));
    const option = engineOptions(input.instance_id ?? crypto.randomUUID(), input, retention);
    return { index, option, retention, params: input.params, labels: input.labels };
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
  const rows = firsts.map((item) => reservation(workflow, item.option.id, item, item.retention, reservedAt));
  const { reserved: reservedIds, address } = await reserve(deps, target, rows);
  const reserved = new Set(reservedIds);
  const release = (ids: string[]) => releaseFromIndex(deps.index, address, ids, reservedAt);
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
    await settle(retried(() => release(idsNotIn(toCreate, createdIds))));
    throw toApiError(error, { workflowName, instanceId: toCreate[0]?.option.id ?? "" });
  }
  // Ids the engine refused (it knew them already) are not ours to keep.
  await retried(() => release(idsNotIn(toCreate, createdIds)));
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

function created(workflow: WorkflowRow, id: string): InstanceCreated {
  return { id, status: "queued", version_id: workflow.versionId, workflow_id: workflow.id, trigger_source: "api" };
}

/** One instance of a batch: its position, what the engine is given, and the retention it keeps. */
type BatchItem = {
  index: number;
  option: EngineCreateOptions;
  retention: EffectiveRetention;
  params: unknown;
  labels: Labels | undefined;
};

function idsNotIn(items: BatchItem[], ids: ReadonlySet<string>): string[] {
  return items.map(({ option }) => option.id).filter((id) => !ids.has(id));
}

// ---------------------------------------------------------------------------------------------
// Reservations: queued index rows written before the engine is asked, dropped if it refuses
// ---------------------------------------------------------------------------------------------

/** The queued row a create reserves, with the retention the engine is given. */
function reservation(
  workflow: WorkflowRow,
  id: string,
  { params, labels }: Pick<CreateInstanceInput, "params" | "labels">,
  retention: EffectiveRetention,
  at: number,
): Reservation {
  const now = new Date(at);
  return {
    id,
    versionId: workflow.versionId,
    status: "queued",
    triggerSource: "api",
    params: params ?? null,
    createdOn: now,
    modifiedOn: now,
    retention,
    labels: withAgentLabels(labels, agentLabels(params)),
  };
}

/**
 * Reserves the rows; should the reservation fail, drops what it may have written with only
 * its answer lost (a retry must not find its id taken), and answers the failure.
 */
async function reserve(deps: Deps, target: WorkflowTarget, rows: Reservation[]) {
  try {
    return await reserveInIndex(deps.db, deps.index, target, rows);
  } catch (error) {
    const ids = rows.map((row) => row.id);
    const at = rows[0]?.createdOn.getTime();
    // The directory is read again: the reservation may have opened a segment meanwhile.
    await settle(
      retried(async () => releaseFromIndex(deps.index, await readAddress(deps.db, target.workflow), ids, at)),
    );
    throw error;
  }
}

/** How long a create may take between reserving its id and the engine knowing the instance. */
const CREATE_GRACE_MS = 60_000;

/**
 * Drops the index entry of an instance the engine does not know, once a create that reserved
 * it has had time to finish; true when it did. `seq` is the segment that holds the entry.
 */
export async function releaseIfAbandoned(
  index: IndexAccess,
  address: Pick<IndexAddress, "workflowId" | "jurisdiction">,
  seq: number,
  id: string,
  createdOn: Date,
): Promise<boolean> {
  if (Date.now() - createdOn.getTime() <= CREATE_GRACE_MS) return false;
  await index.segment(address, seq).release([id]);
  return true;
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
