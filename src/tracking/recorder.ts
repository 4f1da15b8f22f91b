import { errorInfo } from "../domain/errors";
import type { InstanceEvent, InstanceReport } from "./events";

/** Where reports go: the control plane's `ControlPlane` entrypoint, bound as `CONTROL_PLANE`. */
export type ReportSink = { report(report: InstanceReport): Promise<unknown> };

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
