/**
 * For Workflows in other Workers that want their lists to follow within moments:
 * `import { TrackedWorkflow } from "workflow-control-plane/tracking"`. Optional: the control
 * plane sees every Workflow from the engine's own events.
 */
export type { NudgeSink } from "./nudger";
export { TrackedWorkflow, type TrackingEnv } from "./tracked-workflow";
