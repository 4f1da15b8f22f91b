import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { Nudger, type NudgeSink } from "./nudger";
import { NudgingStep } from "./nudging-step";

export type TrackingEnv = { CONTROL_PLANE?: NudgeSink };

/**
 * An optional nudge for workflows whose lists must follow within moments: extend it instead of
 * `WorkflowEntrypoint` and name the method `execute` instead of `run`. The control plane sees
 * every Workflow whole without it (from the engine's events); this only tells it when to look,
 * through a `CONTROL_PLANE` service binding. Nudging never slows or fails the workflow.
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
    const nudger = new Nudger(this.env.CONTROL_PLANE, this.ctx, {
      workflowName: event.workflowName,
      instanceId: event.instanceId,
    });
    nudger.nudge();
    try {
      return await this.execute(event, new NudgingStep(step, nudger));
    } finally {
      nudger.nudgeSoon();
    }
  }
}
