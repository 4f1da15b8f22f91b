import { eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { type Retention, workflows, workflowVersions } from "../../db/schema";
import { readTargets, type WorkflowTarget } from "../../index/directory";
import { ApiError, workflowNotFound } from "../../lib/errors";
import type { Deps } from "../deps";
import type { BoundWorkflow } from "../engines";

export type WorkflowRow = typeof workflows.$inferSelect;

/** A workflow this deployment can run: its definition, its current retention and its binding. */
export type RunnableWorkflow = { workflow: WorkflowRow; retention: Retention | null; bound: BoundWorkflow };

/** The definition of a workflow with its current version's retention, as one query. */
export function selectDefinition(db: Db, workflowName: string) {
  return db
    .select({ workflow: workflows, retention: workflowVersions.defaultRetention })
    .from(workflows)
    .innerJoin(workflowVersions, eq(workflowVersions.id, workflows.versionId))
    .where(eq(workflows.name, workflowName));
}

/**
 * Finds the workflow and the binding that runs it. A definition whose name this deployment
 * does not bind, or binds to another class or script, cannot reach any instance.
 */
export async function resolveRunnable({ db, engines }: Deps, workflowName: string): Promise<RunnableWorkflow> {
  const [definition] = await selectDefinition(db, workflowName);
  if (!definition) throw workflowNotFound(workflowName);
  return { ...definition, bound: bindingOf(engines, definition.workflow) };
}

/** The binding that runs `workflow`, or the 400 that explains why there is none. */
export function bindingOf(engines: Deps["engines"], workflow: WorkflowRow): BoundWorkflow {
  const bound = engines.bindingFor(workflow.name);
  if (!bound) {
    throw new ApiError(
      "workflowNotBound",
      `Workflow '${workflow.name}' has no Workflow binding in this deployment: add a [[workflows]] entry with name = "${workflow.name}" to wrangler.toml`,
    );
  }
  if (bound.className !== workflow.className || bound.scriptName !== workflow.scriptName) {
    throw new ApiError(
      "workflowNotBound",
      `Workflow '${workflow.name}' is defined as class ${workflow.className} of script ${workflow.scriptName}, but this deployment binds class ${bound.className} of script ${bound.scriptName}: PUT the workflow again or fix its [[workflows]] binding`,
    );
  }
  return bound;
}

/** A runnable workflow with its index target (address and config): one D1 round trip. */
export async function resolveIndexed(
  deps: Deps,
  workflowName: string,
): Promise<WorkflowTarget & { bound: BoundWorkflow }> {
  const target = await readTarget(deps, workflowName);
  return { ...target, bound: bindingOf(deps.engines, target.workflow) };
}

/** A workflow's definition with its index target, or the 404; the binding is not checked. */
export async function readTarget(deps: Deps, workflowName: string): Promise<WorkflowTarget> {
  const target = (await readTargets(deps.db, [workflowName])).get(workflowName);
  if (!target) throw workflowNotFound(workflowName);
  return target;
}
