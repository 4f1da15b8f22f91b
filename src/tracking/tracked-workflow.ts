import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { errorInfo } from "../domain/errors";
import { jsonText } from "../lib/json";
import { isEngineInterruption, Recorder, type ReportSink } from "./recorder";
import { RecordingStep } from "./recording-step";

export type TrackingEnv = { CONTROL_PLANE?: ReportSink };

/**
 * A WorkflowEntrypoint whose instances the control plane can see step by step. Opting in takes
 * two lines: extend `TrackedWorkflow` instead of `WorkflowEntrypoint`, and name the method
 * `execute` instead of `run`.
 *
 * Recording never gets in the workflow's way: reports leave in the background
 * (`ctx.waitUntil`), in order, and a failed report is logged and dropped. What a lost report
 * misses, reconciliation repairs from the binding.
 *
 * @example
 * export class ShipOrder extends TrackedWorkflow<Env, Params> {
 *   async execute(event: Readonly<WorkflowEvent<Params>>, step: WorkflowStep) { … }
 * }
 */
export abstract class TrackedWorkflow<E extends TrackingEnv, P = unknown> extends WorkflowEntrypoint<E, P> {
  /** The workflow itself: what `run()` would be. */
  abstract execute(event: Readonly<WorkflowEvent<P>>, step: WorkflowStep): Promise<unknown>;

  override async run(event: Readonly<WorkflowEvent<P>>, step: WorkflowStep): Promise<unknown> {
    const recorder = new Recorder(this.env.CONTROL_PLANE, this.ctx, {
      workflowName: event.workflowName,
      instanceId: event.instanceId,
      queuedAt: event.timestamp.getTime(),
      params: jsonText(event.payload),
      cron: event.schedule !== undefined,
    });
    recorder.push({ kind: "run", at: Date.now() });
    try {
      const output = await this.execute(event, new RecordingStep(step, recorder));
      recorder.push({ kind: "complete", at: Date.now(), output: jsonText(output) });
      return output;
    } catch (error) {
      if (!isEngineInterruption(error)) recorder.push({ kind: "fail", at: Date.now(), error: errorInfo(error) });
      throw error;
    }
  }
}
