import type { InstanceStatus } from "../../domain/instance-status";
import type { Deps } from "../deps";
import { onInstance } from "../engine-errors";
import { resolveRunnable } from "./runnable";

/** The engine's handle of an instance of a workflow this deployment runs; 404 for either unknown. */
export async function findHandle(deps: Deps, workflowName: string, id: string): Promise<WorkflowInstance> {
  const { bound } = await resolveRunnable(deps, workflowName);
  return onInstance({ workflowName, instanceId: id }, () => bound.engine.get(id));
}

/** The engine's status of an instance; "unknown", the binding's word for a state it cannot name, is queued. */
export async function engineStatusOf(handle: WorkflowInstance): Promise<InstanceStatus> {
  const { status } = await handle.status();
  return status === "unknown" ? "queued" : status;
}
