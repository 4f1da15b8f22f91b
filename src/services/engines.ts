import type { DeployedWorkflow } from "../domain/deployed-workflow";
import { deployedWorkflows } from "../generated/workflow-bindings";

/** A Workflow binding, whatever its params type. */
export type Engine = Workflow<unknown>;

export type BoundWorkflow = DeployedWorkflow & { readonly engine: Engine };

/** The Workflow bindings of this deployment, by workflow name. */
export type Engines = {
  readonly deployed: readonly DeployedWorkflow[];
  bindingFor(workflowName: string): BoundWorkflow | undefined;
};

export function createEngines(env: Env): Engines {
  const byName = new Map<string, BoundWorkflow>(
    deployedWorkflows.map((workflow) => [workflow.name, { ...workflow, engine: env[workflow.binding] }]),
  );
  return {
    deployed: deployedWorkflows,
    bindingFor: (workflowName) => byName.get(workflowName),
  };
}
