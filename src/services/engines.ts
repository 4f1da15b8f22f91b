import { z } from "@hono/zod-openapi";
import type { DeployedWorkflow } from "../domain/deployed-workflow";
import { guardEngine } from "./engine-guard";

/** A Workflow binding, whatever its params type. */
export type Engine = Workflow<unknown>;

export type BoundWorkflow = DeployedWorkflow & { readonly engine: Engine };

/** The Workflow bindings of this deployment, by workflow name. */
export type Engines = {
  readonly deployed: readonly DeployedWorkflow[];
  bindingFor(workflowName: string): BoundWorkflow | undefined;
};

/**
 * The Workflows the deployment's wrangler config declares: its generated binding table, which
 * the entry module hands to `defineControlPlane` before any request, alarm or message runs.
 */
let declaredWorkflows: readonly DeployedWorkflow[] | undefined;

export function declareWorkflows(workflows: readonly DeployedWorkflow[]): void {
  declaredWorkflows = workflows;
}

/**
 * Workflow bindings beyond the table generated from wrangler.toml, as JSON in the optional
 * `EXTRA_WORKFLOWS` variable: `[{ "name", "binding", "className", "scriptName" }]`, for
 * bindings a deployment adds outside wrangler.toml's `[[workflows]]` (the tests bind their
 * scriptable workflow this way).
 */
const ExtraWorkflows = z.array(
  z.object({ name: z.string(), binding: z.string(), className: z.string(), scriptName: z.string() }),
);

/**
 * The deployment's Workflows with the binding that reaches each: its `env` binding, else its
 * `ctx.exports` entry (a Workflow declared only in wrangler's `exports`).
 */
export function createEngines(
  env: Env,
  exports?: object,
  declared: readonly DeployedWorkflow[] | undefined = declaredWorkflows,
): Engines {
  if (declared === undefined) {
    // Not one workflow bound, silently, would read as "no workflows": say what is missing instead.
    throw new Error("No binding table: the entry module must `export default defineControlPlane({ workflows })`");
  }
  const deployed: readonly DeployedWorkflow[] = [
    ...declared,
    ...ExtraWorkflows.parse(JSON.parse(env.EXTRA_WORKFLOWS ?? "[]")),
  ];
  const bindings = env as unknown as Record<string, Engine | undefined>;
  const exported = (exports ?? {}) as Record<string, Engine | undefined>;
  const byName = new Map<string, BoundWorkflow>(
    deployed.flatMap((workflow) => {
      const engine =
        (workflow.binding === undefined ? undefined : bindings[workflow.binding]) ??
        (workflow.exportName === undefined ? undefined : exported[workflow.exportName]);
      return engine ? [[workflow.name, { ...workflow, engine: guardEngine(engine) }]] : [];
    }),
  );
  return { deployed, bindingFor: (workflowName) => byName.get(workflowName) };
}
