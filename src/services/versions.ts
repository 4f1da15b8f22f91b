import { and, count, desc, eq } from "drizzle-orm";
import { type Retention, type WorkflowLimits, workflowVersions } from "../db/schema";
import { ApiError } from "../lib/errors";
import { toIso } from "../lib/time";
import type { Deps } from "./deps";
import { findWorkflow, type Page } from "./workflows";

/**
 * A version as Cloudflare returns it. Versions are immutable, so `modified_on` is the creation
 * time. `script_name` is this control plane's addition, so versions can be compared in full.
 */
export type WorkflowVersion = {
  id: string;
  workflow_id: string;
  class_name: string;
  script_name: string;
  created_on: string;
  modified_on: string;
  has_dag: false;
  language: "javascript";
  limits?: WorkflowLimits;
  default_retention?: Retention;
};

/** What a version's graph and DAG answers carry besides the graph itself. */
type VersionHeader = Pick<WorkflowVersion, "id" | "workflow_id" | "class_name" | "created_on" | "modified_on">;

/** A version with its step graph; this control plane does not derive graphs, so it is null. */
export type WorkflowVersionGraph = VersionHeader & { graph: null };

/** A version with its DAG (`has_dag` is false for every version here, so it is null). */
export type WorkflowVersionDag = VersionHeader & { dag: null };

function toVersion(row: typeof workflowVersions.$inferSelect): WorkflowVersion {
  return {
    id: row.id,
    workflow_id: row.workflowId,
    class_name: row.className,
    script_name: row.scriptName,
    created_on: toIso(row.createdOn),
    modified_on: toIso(row.createdOn),
    has_dag: false,
    language: "javascript",
    ...(row.limits ? { limits: row.limits } : {}),
    ...(row.defaultRetention ? { default_retention: row.defaultRetention } : {}),
  };
}

/** Versions of a workflow, newest first (wrangler takes the first as the latest). */
export async function listVersions(
  { db }: Deps,
  workflowName: string,
  { page, perPage }: Page,
): Promise<{ items: WorkflowVersion[]; total: number }> {
  const workflow = await findWorkflow(db, workflowName);
  const ofWorkflow = eq(workflowVersions.workflowId, workflow.id);
  const [rows, [total]] = await db.batch([
    db
      .select()
      .from(workflowVersions)
      .where(ofWorkflow)
      .orderBy(desc(workflowVersions.createdOn), desc(workflowVersions.id))
      .limit(perPage)
      .offset((page - 1) * perPage),
    db.select({ value: count() }).from(workflowVersions).where(ofWorkflow),
  ]);
  return { items: rows.map(toVersion), total: total?.value ?? 0 };
}

export async function getVersion({ db }: Deps, workflowName: string, versionId: string): Promise<WorkflowVersion> {
  const workflow = await findWorkflow(db, workflowName);
  const [row] = await db
    .select()
    .from(workflowVersions)
    .where(and(eq(workflowVersions.workflowId, workflow.id), eq(workflowVersions.id, versionId)));
  if (!row) {
    throw new ApiError("versionNotFound", `Version '${versionId}' of workflow '${workflowName}' not found`);
  }
  return toVersion(row);
}

export async function getVersionGraph(
  deps: Deps,
  workflowName: string,
  versionId: string,
): Promise<WorkflowVersionGraph> {
  return { ...(await getVersionHeader(deps, workflowName, versionId)), graph: null };
}

export async function getVersionDag(deps: Deps, workflowName: string, versionId: string): Promise<WorkflowVersionDag> {
  return { ...(await getVersionHeader(deps, workflowName, versionId)), dag: null };
}

async function getVersionHeader(deps: Deps, workflowName: string, versionId: string): Promise<VersionHeader> {
  const { id, workflow_id, class_name, created_on, modified_on } = await getVersion(deps, workflowName, versionId);
  return { id, workflow_id, class_name, created_on, modified_on };
}
