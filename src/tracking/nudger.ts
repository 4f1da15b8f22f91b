import { errorInfo } from "../domain/errors";

/** Where nudges go: the control plane's `ControlPlane` entrypoint, bound as `CONTROL_PLANE`. */
export type NudgeSink = { nudge(workflowName: string, instanceId: string): Promise<unknown> };

/**
 * Tells the control plane, in the background, that an instance just changed, so its journal
 * syncs with the engine now instead of at the next sweep. At most one nudge is in flight and
 * at most one waits behind it: a burst of steps makes two nudges, not one per step. A nudge
 * that fails is logged and dropped; the sweep catches up.
 */
export class Nudger {
  #inFlight = false;
  #again = false;

  constructor(
    private readonly sink: NudgeSink | undefined,
    private readonly ctx: ExecutionContext,
    private readonly instance: { workflowName: string; instanceId: string },
  ) {}

  nudge(): void {
    if (!this.sink) return;
    if (this.#inFlight) {
      this.#again = true;
      return;
    }
    this.#inFlight = true;
    this.ctx.waitUntil(
      this.#send().finally(() => {
        this.#inFlight = false;
        if (this.#again) {
          this.#again = false;
          this.nudge();
        }
      }),
    );
  }

  /** Nudges once the engine has had a moment to record a step that has begun (a sleep, a wait). */
  nudgeSoon(): void {
    setTimeout(() => this.nudge(), 20);
  }

  async #send(): Promise<void> {
    try {
      await this.sink?.nudge(this.instance.workflowName, this.instance.instanceId);
    } catch (error) {
      console.warn(
        JSON.stringify({
          level: "warn",
          message: "could not nudge the control plane",
          ...this.instance,
          error: errorInfo(error),
        }),
      );
    }
  }
}
