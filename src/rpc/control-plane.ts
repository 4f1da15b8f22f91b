import { WorkerEntrypoint } from "cloudflare:workers";
import { journalOf } from "../durable-objects/instance-journal";
import { InstanceId, WorkflowName } from "../routes/params";
import type { InstanceReport } from "../tracking/events";

/** More events than one run of `run()` can produce in one report is a caller's bug. */
const MAX_EVENTS_PER_REPORT = 10_000;

/**
 * The control plane over service bindings. Other Workers bind it with
 * `[[services]] binding = "CONTROL_PLANE", service = "workflow-control-plane", entrypoint = "ControlPlane"`.
 */
export class ControlPlane extends WorkerEntrypoint<Env> {
  /**
   * Records what a tracked workflow observed about its instance (`TrackedWorkflow` calls this).
   * Reports that do not name a valid workflow and instance are refused.
   */
  async report(report: InstanceReport): Promise<void> {
    if (
      !WorkflowName.safeParse(report.workflowName).success ||
      !InstanceId.safeParse(report.instanceId).success ||
      !Array.isArray(report.events) ||
      report.events.length > MAX_EVENTS_PER_REPORT
    ) {
      throw new TypeError("report: needs a valid workflowName, instanceId and at most 10,000 events");
    }
    await journalOf(this.env, report.workflowName, report.instanceId).record(report);
  }
}
