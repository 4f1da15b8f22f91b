import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { instances } from "../../db/schema";
import { type InstanceStatus, isFinished, type TriggerSource } from "../../domain/instance-status";
import { instanceNotFound } from "../../lib/errors";
import { toIso } from "../../lib/time";
import type { Deps } from "../deps";
import { engineErrorKind, toApiError } from "../engine-errors";
import type { Engine } from "../engines";
import { release } from "./create";
import { resolveRunnable, type WorkflowRow } from "./runnable";

type InstanceRow = typeof instances.$inferSelect;

export type LiveStatus = { status: InstanceStatus; output: unknown; error: { name: string; message: string } | null };

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

export async function liveStatusOf(handle: WorkflowInstance): Promise<LiveStatus> {
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
export async function recordStatus(
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
