/**
 * The types of the engine's instance events (`WorkflowInstanceEvent`), as the `filter` of a
 * subscription names them. Checked against the binding's types both ways, so a type the engine
 * adds fails the build until it is listed here.
 */
export const ENGINE_EVENT_TYPES = [
  "workflow_queued",
  "workflow_started",
  "workflow_running",
  "workflow_paused",
  "workflow_waiting_for_pause",
  "workflow_waiting",
  "workflow_completed",
  "workflow_errored",
  "workflow_terminated",
  "step_started",
  "step_completed",
  "step_errored",
  "attempt_started",
  "attempt_completed",
  "attempt_errored",
  "sleep_started",
  "sleep_completed",
  "wait_started",
  "wait_completed",
  "wait_timed_out",
  "rollback_started",
  "rollback_step_started",
  "rollback_step_completed",
  "rollback_step_errored",
  "rollback_attempt_started",
  "rollback_attempt_completed",
  "rollback_attempt_errored",
  "rollback_completed",
  "rollback_errored",
] as const satisfies readonly WorkflowInstanceEventType[];

type Listed = (typeof ENGINE_EVENT_TYPES)[number];
/** Compiles only while every type of the binding is listed. */
export type EveryTypeListed = WorkflowInstanceEventType extends Listed ? true : never;
const everyTypeListed: EveryTypeListed = true;
void everyTypeListed;

/** The events after which an instance's stream ends. */
export function isTerminalEvent(event: WorkflowInstanceEvent): boolean {
  return (
    event.type === "workflow_completed" || event.type === "workflow_errored" || event.type === "workflow_terminated"
  );
}
