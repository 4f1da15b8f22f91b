/**
 * What a Worker needs to have its workflows tracked by the control plane:
 * `import { TrackedWorkflow } from "workflow-control-plane/tracking"`.
 */
export type { ErrorInfo } from "../domain/errors";
export type { StepConfig } from "../domain/journal";
export type { InstanceEvent, InstanceReport } from "./events";
export type { ReportSink } from "./recorder";
export { TrackedWorkflow, type TrackingEnv } from "./tracked-workflow";
