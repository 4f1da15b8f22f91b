import { and, count, eq, getTableColumns, inArray, isNull, like, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { type Retention, type WorkflowLimits, workflows, workflowVersions } from "../db/schema";
import { INSTANCE_STATUSES, type InstanceStatus } from "../domain/instance-status";
import type { Jurisdiction } from "../domain/jurisdiction";
import type { IndexAddress } from "../index/config";
import { addressOf, selectSegments } from "../index/directory";
import { acrossSegments } from "../index/workflow-index";
import { forEachConcurrently } from "../lib/concurrency";
import { ApiError, workflowNotFound } from "../lib/errors";
import { toIso } from "../lib/time";
import type { Deps } from "./deps";
import { type Capacity, capacityOf } from "./retention/capacity";

export type InstanceCounts = Record<InstanceStatus, number>;

/** A workflow as Cloudflare's `GET /workflows` and `GET /workflows/:name` return it. */
export type WorkflowSummary = {
  id: string;
  name: string;
  class_name: string;
  script_name: string;
  created_on: string;
  modified_on: string;
  triggered_on: string | null;
  /** The current version: the one new instances run. */
  version_id: string;
  /** 1 while a terminate-all job of the workflow runs. */
  terminator_running: 0 | 1;
  /** This control plane's addition: labels each new instance takes from its params. */
  label_paths: Record<string, string> | null;
  /** This control plane's addition: label keys the metrics keep a series per value of. */
  metric_labels: string[] | null;
  /** Where Cloudflare keeps the workflow's instances (and this control plane its index); null for anywhere. */
  jurisdiction: Jurisdiction | null;
  instances: InstanceCounts;
};

/** What `PUT /workflows/:name` returns. */
export type WorkflowUpdateResult = Omit<WorkflowSummary, "instances"> & { is_deleted: 0 };

/** A workflow definition as PUT sets it; absent limits or retention mean none. */
export type WorkflowDefinitionInput = {
  class_name: string;
  script_name: string;
  limits?: WorkflowLimits | undefined;
  default_retention?: Retention | undefined;
  /** Not part of a version; left out, the current paths stay (deployment sync leaves them out). */
  label_paths?: Record<string, string> | null | undefined;
  /** Likewise: left out, the current metric labels stay. */
  metric_labels?: string[] | null | undefined;
  /** Taken when the workflow is created; a different one later is refused (it is fixed). */
  jurisdiction?: Jurisdiction | undefined;
};

export type Page = { page: number; perPage: number };

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

/**
 * Columns of a workflow plus whether a terminate-all job runs. The subquery spells out table
 * names because Drizzle leaves columns of a one-table select bare.
 */
const summaryColumns = {
  ...getTableColumns(workflows),
  terminatorRunning: sql<number>`exists (
    select 1 from "bulk_jobs" where "bulk_jobs"."workflow_id" = "workflows"."id"
    and "bulk_jobs"."kind" = 'terminate_all' and "bulk_jobs"."status" in ('queued', 'running')
  )`,
};

type SummaryRow = typeof workflows.$inferSelect & { terminatorRunning: number };

/** What a workflow's index says of it: its live instances per status, and its newest one's creation. */
type IndexSummary = { counts: InstanceCounts; triggeredOn: number | null };

/** Workflows whose indexes one read of many asks at once (each asks its segments in turn). */
const WORKFLOW_FAN_OUT = 16;

/**
 * The index summary of a workflow, summed over its segments; each leaves out its instances past
 * their retention (the expiry pass removes them later), as every read does.
 */
async function summarizeIndex(deps: Deps, address: IndexAddress, now: number): Promise<IndexSummary> {
  const parts = await acrossSegments(deps.index, address, (segment) => segment.statusCounts(now));
  const counts = Object.fromEntries(INSTANCE_STATUSES.map((status) => [status, 0])) as InstanceCounts;
  let triggeredOn: number | null = null;
  for (const part of parts) {
    for (const status of INSTANCE_STATUSES) counts[status] += part.counts[status] ?? 0;
    if (part.newest !== null && (triggeredOn === null || part.newest > triggeredOn)) triggeredOn = part.newest;
  }
  return { counts, triggeredOn };
}

function toSummary(row: SummaryRow, { counts, triggeredOn }: IndexSummary): WorkflowSummary {
  return {
    id: row.id,
    name: row.name,
    class_name: row.className,
    script_name: row.scriptName,
    created_on: toIso(row.createdOn),
    modified_on: toIso(row.modifiedOn),
    triggered_on: toIso(triggeredOn),
    version_id: row.versionId,
    terminator_running: row.terminatorRunning ? 1 : 0,
    label_paths: row.labelPaths,
    metric_labels: row.metricLabels,
    jurisdiction: row.jurisdiction,
    instances: counts,
  };
}

/**
 * Lists workflows by name; `search` matches any part of the name, `only` (a scoped token's
 * workflows) limits the list. Definitions and directories come in one D1 round trip; then the
 * page's indexes are asked, `WORKFLOW_FAN_OUT` workflows at once.
 */
export async function listWorkflows(
  deps: Deps,
  { page, perPage, search, only }: Page & { search?: string | undefined; only?: string[] | null | undefined },
): Promise<{ items: WorkflowSummary[]; total: number }> {
  const { db } = deps;
  const filter = and(
    isNull(workflows.deletedOn),
    search === undefined ? undefined : like(workflows.name, containing(search)),
    only ? inArray(workflows.name, only) : undefined,
  );
  const pageIds = db
    .select({ id: workflows.id })
    .from(workflows)
    .where(filter)
    .orderBy(workflows.name)
    .limit(perPage)
    .offset((page - 1) * perPage);
  const [rows, [total], segments] = await db.batch([
    db
      .select(summaryColumns)
      .from(workflows)
      .where(filter)
      .orderBy(workflows.name)
      .limit(perPage)
      .offset((page - 1) * perPage),
    db.select({ value: count() }).from(workflows).where(filter),
    selectSegments(db, pageIds),
  ]);
  const now = Date.now();
  const items: WorkflowSummary[] = new Array(rows.length);
  await forEachConcurrently(rows.entries(), WORKFLOW_FAN_OUT, async ([position, row]) => {
    items[position] = toSummary(row, await summarizeIndex(deps, addressOf(row, segments), now));
  });
  return { items, total: total?.value ?? 0 };
}

/** A workflow as `GET /workflows/:name` answers: its summary, and what its index holds. */
export type WorkflowDetail = WorkflowSummary & { capacity: Capacity };

export async function getWorkflow(deps: Deps, name: string): Promise<WorkflowDetail> {
  const { row, address } = await readSummaryRow(deps.db, name);
  const [summary, capacity] = await Promise.all([
    summarizeIndex(deps, address, Date.now()),
    capacityOf(deps.index, address),
  ]);
  return { ...toSummary(row, summary), capacity };
}

/** A workflow's summary row and its index's address, in one round trip. */
async function readSummaryRow(db: Db, name: string): Promise<{ row: SummaryRow; address: IndexAddress }> {
  const ids = db.select({ id: workflows.id }).from(workflows).where(eq(workflows.name, name));
  const [[row], segments] = await db.batch([
    db.select(summaryColumns).from(workflows).where(eq(workflows.name, name)),
    selectSegments(db, ids),
  ]);
  if (!row) throw workflowNotFound(name);
  return { row, address: addressOf(row, segments) };
}

/** The stored definition row of a workflow, or a 404. */
export async function findWorkflow(db: Db, name: string): Promise<typeof workflows.$inferSelect> {
  const [row] = await db.select().from(workflows).where(eq(workflows.name, name));
  if (!row) throw workflowNotFound(name);
  return row;
}

/** A LIKE pattern matching `text` anywhere, with LIKE's wildcards taken literally. */
function containing(text: string): SQL {
  const escaped = text.replace(/[\\%_]/g, (char) => `\\${char}`);
  return sql`${`%${escaped}%`} escape '\\'`;
}

// ---------------------------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------------------------

/**
 * Creates or updates a workflow definition. A change of class, script, limits or retention
 * records a new immutable version; an identical PUT changes nothing and returns the current one.
 */
export async function putWorkflow(
  deps: Deps,
  name: string,
  input: WorkflowDefinitionInput,
): Promise<WorkflowUpdateResult> {
  const { db } = deps;
  // Two PUTs of one name can race; each write below is conditional, so the loser re-reads.
  for (let attempt = 0; attempt < 3; attempt++) {
    const [current] = await db
      .select({ workflow: workflows, version: workflowVersions })
      .from(workflows)
      .innerJoin(workflowVersions, eq(workflowVersions.id, workflows.versionId))
      .where(eq(workflows.name, name));
    const now = new Date();
    if (!current) {
      if (await insertWorkflow(db, name, input, now)) break;
      continue;
    }
    refuseJurisdictionChange(current.workflow, input);
    if (sameDefinition(current.version, input)) break;
    if (await addVersion(db, current.workflow, input, now)) break;
  }
  if (input.label_paths !== undefined || input.metric_labels !== undefined) {
    const paths = input.label_paths && Object.keys(input.label_paths).length > 0 ? input.label_paths : null;
    const metricLabels =
      input.metric_labels && input.metric_labels.length > 0 ? [...new Set(input.metric_labels)] : null;
    await db
      .update(workflows)
      .set({
        ...(input.label_paths === undefined ? {} : { labelPaths: paths }),
        ...(input.metric_labels === undefined ? {} : { metricLabels }),
      })
      .where(eq(workflows.name, name));
  }
  const { row, address } = await readSummaryRow(db, name);
  const { instances: _counts, ...summary } = toSummary(row, await summarizeIndex(deps, address, Date.now()));
  return { ...summary, is_deleted: 0 };
}

/**
 * A workflow's jurisdiction is fixed once it exists, as Cloudflare fixes it (its index's
 * segments live there): a PUT naming another is refused; one leaving it out keeps it.
 */
function refuseJurisdictionChange(workflow: typeof workflows.$inferSelect, input: WorkflowDefinitionInput): void {
  if (input.jurisdiction === undefined || input.jurisdiction === workflow.jurisdiction) return;
  throw new ApiError(
    "jurisdictionFixed",
    `Workflow '${workflow.name}' is in jurisdiction ${workflow.jurisdiction ?? "none (anywhere)"}; a workflow's jurisdiction is fixed when it is created: delete the workflow or use another name to put it in ${input.jurisdiction}`,
  );
}

type NewVersion = typeof workflowVersions.$inferInsert & { id: string; createdOn: Date };

function newVersion(workflowId: string, input: WorkflowDefinitionInput, now: Date): NewVersion {
  return {
    id: crypto.randomUUID(),
    workflowId,
    className: input.class_name,
    scriptName: input.script_name,
    limits: input.limits ?? null,
    defaultRetention: input.default_retention ?? null,
    createdOn: now,
  };
}

/**
 * Inserts `version` for the workflow selected by `condition`, if any: versions are written in
 * the same batch as the workflow change they belong to, and only when that change happened.
 */
function insertVersionWhere(db: Db, version: NewVersion, condition: SQL | undefined) {
  return db.insert(workflowVersions).select(
    db
      .select({
        id: sql`${version.id}`.as("id"),
        workflowId: workflows.id,
        className: sql`${version.className}`.as("class_name"),
        scriptName: sql`${version.scriptName}`.as("script_name"),
        limits: sql`${toJson(version.limits ?? null)}`.as("limits"),
        defaultRetention: sql`${toJson(version.defaultRetention ?? null)}`.as("default_retention"),
        createdOn: sql`${version.createdOn.getTime()}`.as("created_on"),
      })
      .from(workflows)
      .where(condition),
  );
}

/** Inserts a new workflow with its first version; false when the name was taken meanwhile. */
async function insertWorkflow(db: Db, name: string, input: WorkflowDefinitionInput, now: Date) {
  const version = newVersion(crypto.randomUUID(), input, now);
  const [inserted] = await db.batch([
    db
      .insert(workflows)
      .values({
        id: version.workflowId,
        name,
        className: input.class_name,
        scriptName: input.script_name,
        versionId: version.id,
        jurisdiction: input.jurisdiction ?? null,
        createdOn: now,
        modifiedOn: now,
      })
      .onConflictDoNothing({ target: workflows.name })
      .returning({ id: workflows.id }),
    insertVersionWhere(db, version, eq(workflows.id, version.workflowId)),
  ]);
  return inserted.length > 0;
}

/** Points the workflow at a new version, unless another writer moved it first. */
async function addVersion(db: Db, workflow: typeof workflows.$inferSelect, input: WorkflowDefinitionInput, now: Date) {
  const version = newVersion(workflow.id, input, now);
  const [updated] = await db.batch([
    db
      .update(workflows)
      .set({
        versionId: version.id,
        className: input.class_name,
        scriptName: input.script_name,
        modifiedOn: now,
      })
      .where(and(eq(workflows.id, workflow.id), eq(workflows.versionId, workflow.versionId)))
      .returning({ id: workflows.id }),
    insertVersionWhere(db, version, and(eq(workflows.id, workflow.id), eq(workflows.versionId, version.id))),
  ]);
  return updated.length > 0;
}

function toJson(value: object | null): string | null {
  return value === null ? null : JSON.stringify(value);
}

function sameDefinition(version: typeof workflowVersions.$inferSelect, input: WorkflowDefinitionInput) {
  return (
    version.className === input.class_name &&
    version.scriptName === input.script_name &&
    canonical(version.limits) === canonical(input.limits ?? null) &&
    canonical(version.defaultRetention) === canonical(input.default_retention ?? null)
  );
}

/** JSON with sorted keys, so `{a, b}` and `{b, a}` compare equal. */
function canonical(value: object | null): string {
  if (value === null) return "null";
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b))));
}

/** Deletes a workflow with its versions and instance index. */
/**
 * Deletes a workflow at once for every reader, and its name is free to define again; what it
 * owns (index rows, journals, bulk jobs, versions) goes in the background, in batches, from the
 * sweeper's retention pass (`purgeDeletedWorkflows`), which resumes wherever it stopped.
 */
export async function deleteWorkflow({ db }: Deps, name: string): Promise<void> {
  const deleted = await db
    .update(workflows)
    .set({ name: sql`'~' || ${workflows.name} || '~' || ${workflows.id}`, deletedOn: new Date() })
    .where(and(eq(workflows.name, name), isNull(workflows.deletedOn)))
    .returning({ id: workflows.id });
  if (deleted.length === 0) throw workflowNotFound(name);
}

/** The name a workflow had: a deleted one's row carries it as `~<name>~<id>`. */
export function originalName(storedName: string): string {
  return /^~(.*)~[^~]*$/.exec(storedName)?.[1] ?? storedName;
}
