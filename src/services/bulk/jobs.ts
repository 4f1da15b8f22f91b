import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { type BulkAction, type BulkJobKind, bulkJobs } from "../../db/schema";
import type { BulkFilter, BulkJobView, BulkOptions, BulkResult, ItemOutcome } from "../../domain/bulk";
import { INSTANCE_STATUSES, type InstanceStatus } from "../../domain/instance-status";
import type { Jurisdiction } from "../../domain/jurisdiction";
import { parseSelector } from "../../domain/labels";
import { readAddress } from "../../index/directory";
import type { SelectionCursor } from "../../index/maintenance";
import type { SegmentFilter } from "../../index/reads/filter";
import { decodeCursor, encodeCursor, sequenceOf } from "../../lib/cursor";
import { sha256Hex } from "../../lib/encoding";
import { type ListResult, listResult } from "../../lib/envelope";
import { ApiError } from "../../lib/errors";
import type { Deps } from "../deps";
import { resolveRunnable } from "../instances/runnable";
import { findWorkflow } from "../workflows";

/** Ids appended to a job per call, and read from the index per query, when targets are frozen. */
const APPEND_CHUNK = 1_000;

/** The statuses terminate-all acts on when no status is given: every unfinished one. */
export const UNFINISHED: InstanceStatus[] = [
  "queued",
  "running",
  "paused",
  "waitingForPause",
  "waiting",
  "rollingBack",
];

export type BulkRequest = { action: BulkAction; options?: BulkOptions | undefined } & (
  | { instance_ids: string[]; filter?: undefined }
  | { filter: BulkFilter; instance_ids?: undefined }
);

export type BulkSubmission = {
  kind: BulkJobKind;
  /** Makes a retried submission return the job the first one created. */
  idempotencyKey?: string | undefined;
};

/** What creating a job came to: the job, and whether this call created it. */
export type BulkCreated =
  | { outcome: "created" | "existing"; job: BulkJobView }
  /** Another terminate-all of this workflow is still running. */
  | { outcome: "already_running"; job: BulkJobView };

/**
 * Accepts a bulk job: freezes its targets (a filter is resolved to ids now, a chunk at a time,
 * never all in memory) into the job's Durable Object and starts it.
 */
export async function createBulkJob(
  deps: Deps,
  workflowName: string,
  request: BulkRequest,
  { kind, idempotencyKey }: BulkSubmission,
): Promise<BulkCreated> {
  const { workflow } = await resolveRunnable(deps, workflowName);
  const requestHash = await sha256Hex(JSON.stringify(request));
  const previous = idempotencyKey ? await findByKey(deps.db, workflow.id, idempotencyKey) : undefined;
  if (previous) return existing(deps, previous, requestHash);

  const id = crypto.randomUUID();
  const createdOn = new Date();
  const [inserted] = await deps.db
    .insert(bulkJobs)
    .values({
      id,
      workflowId: workflow.id,
      kind,
      action: request.action,
      status: "queued",
      total: 0,
      idempotencyKey: idempotencyKey ?? null,
      requestHash,
      createdOn,
    })
    .onConflictDoNothing()
    .returning({ id: bulkJobs.id });
  if (!inserted) {
    // Lost a race: to a retry with the same key, or to a terminate-all already running.
    const winner = idempotencyKey ? await findByKey(deps.db, workflow.id, idempotencyKey) : undefined;
    if (winner) return existing(deps, winner, requestHash);
    const running = await runningTerminateAll(deps.db, workflow.id);
    if (running) return { outcome: "already_running", job: await deps.bulkJob(running.id).view() };
    throw new Error(`bulk job ${id} could not be recorded`);
  }

  const job = deps.bulkJob(id);
  const filter = request.filter ? { ...request.filter } : null;
  await job.init({
    id,
    workflowName,
    kind,
    action: request.action,
    options: request.options,
    filter,
    createdOn: createdOn.getTime(),
  });
  if (request.instance_ids) {
    for (let start = 0; start < request.instance_ids.length; start += APPEND_CHUNK) {
      await job.append(request.instance_ids.slice(start, start + APPEND_CHUNK));
    }
  } else {
    for await (const rows of matching(deps, workflow, request.filter, createdOn)) {
      await job.append(rows.map((row) => row.id));
    }
  }
  const view = await job.start();
  await deps.db.update(bulkJobs).set({ total: view.total }).where(eq(bulkJobs.id, id));
  return { outcome: "created", job: view };
}

async function existing(deps: Deps, row: typeof bulkJobs.$inferSelect, requestHash: string): Promise<BulkCreated> {
  if (row.requestHash !== requestHash) {
    throw new ApiError("idempotencyConflict", "Idempotency-Key was already used with a different request");
  }
  return { outcome: "existing", job: await deps.bulkJob(row.id).view() };
}

async function findByKey(db: Db, workflowId: string, key: string) {
  const [row] = await db
    .select()
    .from(bulkJobs)
    .where(and(eq(bulkJobs.workflowId, workflowId), eq(bulkJobs.idempotencyKey, key)));
  return row;
}

export async function runningTerminateAll(db: Db, workflowId: string) {
  const [row] = await db
    .select({ id: bulkJobs.id })
    .from(bulkJobs)
    .where(
      and(
        eq(bulkJobs.workflowId, workflowId),
        eq(bulkJobs.kind, "terminate_all"),
        inArray(bulkJobs.status, ["queued", "running"]),
      ),
    );
  return row;
}

/**
 * The ids a filter matches among instances created up to `acceptedAt`, a chunk at a time: per
 * status through the status index, or, when a label selector can drive it, in one walk of the
 * label index (as a list does); each walk goes through the workflow's segments oldest first,
 * so within it the ids come in creation order.
 */
export async function* matching(
  deps: Pick<Deps, "db" | "index">,
  workflow: { id: string; jurisdiction: Jurisdiction | null },
  filter: BulkFilter,
  acceptedAt: Date,
): AsyncIterable<{ id: string; status: InstanceStatus }[]> {
  const address = await readAddress(deps.db, workflow);
  const end = filter.date_end && new Date(filter.date_end) < acceptedAt ? new Date(filter.date_end) : acceptedAt;
  const conditions: SegmentFilter = {
    dateStart: filter.date_start ? new Date(filter.date_start).getTime() : undefined,
    dateEnd: end.getTime(),
    versionId: filter.version_id,
    triggerSource: filter.trigger_source,
    errorName: filter.error_name,
    idPrefix: filter.id_prefix,
    labels: filter.labels === undefined ? undefined : parseSelector(filter.labels),
  };
  const labelDriven = conditions.labels?.some((requirement) => requirement.operator === "in") ?? false;
  const walks: SegmentFilter[] = labelDriven
    ? [{ ...conditions, statuses: filter.status }]
    : (filter.status ?? INSTANCE_STATUSES).map((status) => ({ ...conditions, status }));
  const now = acceptedAt.getTime();
  for (const walk of walks) {
    for (const ref of address.segments) {
      if (conditions.dateEnd !== undefined && ref.startsOn > conditions.dateEnd) break;
      const segment = deps.index.segment(address, ref.seq);
      let after: SelectionCursor | null = null;
      for (;;) {
        const rows = await segment.select(walk, after, APPEND_CHUNK, now);
        if (rows.length > 0) yield rows;
        const last = rows.at(-1);
        if (!last || rows.length < APPEND_CHUNK) break;
        after = { createdOn: last.createdOn, id: last.id };
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reading and cancelling
// ---------------------------------------------------------------------------------------------

/** The job row of a workflow, or a 404. */
async function findJob(deps: Deps, workflowName: string, jobId: string) {
  const workflow = await findWorkflow(deps.db, workflowName);
  const [row] = await deps.db
    .select()
    .from(bulkJobs)
    .where(and(eq(bulkJobs.workflowId, workflow.id), eq(bulkJobs.id, jobId)));
  if (!row) throw new ApiError("bulkJobNotFound", `Bulk job '${jobId}' of workflow '${workflowName}' not found`);
  return row;
}

export async function getBulkJob(deps: Deps, workflowName: string, jobId: string): Promise<BulkJobView> {
  const row = await findJob(deps, workflowName, jobId);
  return deps.bulkJob(row.id).view();
}

/** A workflow's jobs, newest first. */
export async function listBulkJobs(
  deps: Deps,
  workflowName: string,
  { page, perPage }: { page: number; perPage: number },
): Promise<{ items: BulkJobView[]; total: number }> {
  const workflow = await findWorkflow(deps.db, workflowName);
  const [rows, [total]] = await deps.db.batch([
    deps.db
      .select({ id: bulkJobs.id })
      .from(bulkJobs)
      .where(eq(bulkJobs.workflowId, workflow.id))
      .orderBy(desc(bulkJobs.createdOn), desc(bulkJobs.id))
      .limit(perPage)
      .offset((page - 1) * perPage),
    deps.db.select({ value: sql<number>`count(*)` }).from(bulkJobs).where(eq(bulkJobs.workflowId, workflow.id)),
  ]);
  const items = await Promise.all(rows.map((row) => deps.bulkJob(row.id).view()));
  return { items, total: total?.value ?? 0 };
}

/** Stops a job before its next item; a job that already ended cannot be cancelled (409). */
export async function cancelBulkJob(deps: Deps, workflowName: string, jobId: string): Promise<BulkJobView> {
  const row = await findJob(deps, workflowName, jobId);
  const job = deps.bulkJob(row.id);
  const view = await job.view();
  if (view.status !== "queued" && view.status !== "running") {
    throw new ApiError("bulkJobConflict", `Bulk job '${jobId}' is ${view.status} and can no longer be cancelled`);
  }
  return job.cancel();
}

/** A page of a job's ledger (`cursor` is opaque), optionally of one outcome. */
export async function bulkJobResults(
  deps: Deps,
  workflowName: string,
  jobId: string,
  { outcome, cursor, perPage }: { outcome?: ItemOutcome | undefined; cursor?: string | undefined; perPage: number },
): Promise<ListResult<BulkResult>> {
  const row = await findJob(deps, workflowName, jobId);
  const after = cursor === undefined ? 0 : decodeCursor(cursor, sequenceOf);
  const page = await deps.bulkJob(row.id).results({ outcome, after, limit: perPage });
  return listResult(page.results, {
    count: page.results.length,
    per_page: perPage,
    total_count: page.total,
    ...(page.next === null ? {} : { cursor: encodeCursor(page.next) }),
  });
}
