import type {
  WorkflowSleepDuration,
  WorkflowStep,
  WorkflowStepEvent,
  WorkflowTimeoutDuration,
} from "cloudflare:workers";
import type { Nudger } from "./nudger";

/**
 * The step object a tracked workflow sees: Cloudflare's own, nudging the control plane when a
 * step ends and shortly after a sleep or a wait begins. It records nothing itself: what the
 * control plane shows comes from the engine's events.
 */
export class NudgingStep implements WorkflowStep {
  readonly #step: WorkflowStep;
  readonly #nudger: Nudger;

  constructor(step: WorkflowStep, nudger: Nudger) {
    this.#step = step;
    this.#nudger = nudger;
  }

  /**
   * step.do with its four overloads, which differ only in how they type the callback's context:
   * one implementation passes the arguments through as given.
   */
  readonly do = ((...args: Parameters<WorkflowStep["do"]>) =>
    this.#after(this.#step.do(...args))) as WorkflowStep["do"];

  sleep = (name: string, duration: WorkflowSleepDuration): Promise<void> =>
    this.#wait(this.#step.sleep(name, duration));

  sleepUntil = (name: string, timestamp: Date | number): Promise<void> =>
    this.#wait(this.#step.sleepUntil(name, timestamp));

  waitForEvent<T extends Rpc.Serializable<T>>(
    name: string,
    options: { type: string; timeout?: WorkflowTimeoutDuration | number },
  ): Promise<WorkflowStepEvent<T>> {
    return this.#wait(this.#step.waitForEvent<T>(name, options));
  }

  #wait<R>(waiting: Promise<R>): Promise<R> {
    this.#nudger.nudgeSoon();
    return this.#after(waiting);
  }

  async #after<R>(step: Promise<R>): Promise<R> {
    try {
      return await step;
    } finally {
      this.#nudger.nudge();
    }
  }
}
