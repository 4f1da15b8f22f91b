/**
 * What a Worker needs to have its workflows tracked by the control plane:
 * `import { TrackedWorkflow } from "workflow-control-plane/tracking"`.
 */
export type { ErrorInfo, InstanceEvent, InstanceReport, StepConfig } from "./events";
export { type ReportSink, TrackedWorkflow, type TrackingEnv } from "./tracked-workflow";
