/** Instance operations, shared by the REST routes, RPC and tests. */

export { changeInstanceStatus, deleteInstance, deleteInstances, type StatusChange, sendInstanceEvent } from "./control";
export {
  type BatchCreateReport,
  type CreateInstanceInput,
  createInstance,
  createInstanceBatch,
  createInstances,
  type InstanceCreated,
} from "./create";
export { type InstanceListQuery, type InstanceSummary, listInstances } from "./list";
export { syncInstance } from "./mirror";
export { getInstance, getInstanceStep, type InstanceDetails } from "./read";
export { nextUnfinished, type SweepEntry, type SweepPosition, syncGroup } from "./sweep";
