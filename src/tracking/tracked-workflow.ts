import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { jsonText } from "../lib/json";
import { errorInfo, type InstanceEvent, type InstanceReport } from "./events";
import { RecordingStep } from "./recording-step";

/** Where reports go: the control plane's `ControlPlane` entrypoint, bound as `CONTROL_PLANE`. */
export type ReportSink = { report(report: InstanceReport): Promise<unknown> };

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

/**
 * Sends events to the sink in order, one report at a time, batching whatever accumulated while
 * the previous report was in flight. Nothing here is ever awaited by the workflow.
 */
export class Recorder {
  #pending: InstanceEvent[] = [];
  #queue: Promise<void> = Promise.resolve();
  #scheduled = false;

  constructor(
    private readonly sink: ReportSink | undefined,
    private readonly ctx: ExecutionContext,
    private readonly instance: Omit<InstanceReport, "events">,
  ) {}

  push(event: InstanceEvent): void {
    if (!this.sink) return;
    this.#pending.push(event);
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#queue = this.#queue.then(() => this.#send());
    this.ctx.waitUntil(this.#queue);
  }

  async #send(): Promise<void> {
    this.#scheduled = false;
    const events = this.#pending.splice(0);
    if (events.length === 0 || !this.sink) return;
    try {
      await this.sink.report({ ...this.instance, events });
    } catch (error) {
      console.warn(
        JSON.stringify({
          level: "warn",
          message: "could not record workflow events; reconciliation will repair the index",
          workflow: this.instance.workflowName,
          instance: this.instance.instanceId,
          events: events.length,
          error: errorInfo(error),
        }),
      );
    }
  }
}

/**
 * Pause, terminate and restart interrupt `run()` from outside; what it then sees thrown is the
 * engine stopping it, not the workflow failing.
 */
export function isEngineInterruption(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /Aborting engine|outputGateBroken|Durable Object reset|Application called abort/i.test(message);
}
