import type {
  WorkflowSleepDuration,
  WorkflowStep,
  WorkflowStepConfig,
  WorkflowStepContext,
  WorkflowStepEvent,
  WorkflowStepRollbackOptions,
  WorkflowTimeoutDuration,
} from "cloudflare:workers";
import { errorInfo } from "../domain/errors";
import type { StepConfig } from "../domain/journal";
import { jsonText } from "../lib/json";
import { durationToMs } from "../lib/time";
import type { WaitType } from "./events";
import { isEngineInterruption, type Recorder } from "./recorder";

/** Cloudflare's defaults for a step.do without configuration. */
const DEFAULT_CONFIG: StepConfig = {
  retries: { limit: 5, delay: 10_000, backoff: "exponential" },
  timeout: "10 minutes",
};

/** waitForEvent's default timeout. */
const DEFAULT_EVENT_TIMEOUT_MS = 24 * 60 * 60 * 1000;

type Callback<T> = (ctx: WorkflowStepContext) => Promise<T>;

/**
 * The step object a tracked workflow sees: Cloudflare's own, with each call reported. Names get
 * the engine's counter suffix ("charge-1", "charge-2"), counted per kind of step within one run,
 * so a replay names every step as the first run did.
 */
export class RecordingStep implements WorkflowStep {
  readonly #step: WorkflowStep;
  readonly #recorder: Recorder;
  readonly #counts = new Map<string, number>();

  constructor(step: WorkflowStep, recorder: Recorder) {
    this.#step = step;
    this.#recorder = recorder;
  }

  /**
   * step.do with its four overloads. They differ only in how they type the callback's context,
   * so one implementation serves them all; the cast restates what TypeScript cannot infer
   * from an overloaded signature.
   */
  readonly do = ((name: string, ...rest: unknown[]) => this.#do(name, rest)) as WorkflowStep["do"];

  async #do(name: string, rest: unknown[]): Promise<unknown> {
    const [first, second, third] = rest;
    const config = typeof first === "function" ? undefined : (first as WorkflowStepConfig | undefined);
    const callback = (typeof first === "function" ? first : second) as Callback<unknown> | undefined;
    const rollback = (typeof first === "function" ? second : third) as WorkflowStepRollbackOptions | undefined;
    if (typeof callback !== "function") throw new TypeError(`step.do("${name}") needs a callback`);
    const logName = this.#nameOf("do", name);
    const redacted = config?.sensitive === "output";
    this.#recorder.push({ kind: "stepStart", at: Date.now(), name: logName, config: describe(config) });

    // Attempts are recorded from inside the callback, which the engine runs only when the step
    // really executes: a replay of a finished step reuses its result and records no attempt.
    const recorded: Callback<unknown> = async (ctx) => {
      this.#recorder.push({ kind: "attemptStart", at: Date.now(), name: logName, attempt: ctx.attempt });
      try {
        const result = await callback(ctx);
        this.#recorder.push({ kind: "attemptEnd", at: Date.now(), name: logName, attempt: ctx.attempt, error: null });
        return result;
      } catch (error) {
        const info = errorInfo(error);
        this.#recorder.push({ kind: "attemptEnd", at: Date.now(), name: logName, attempt: ctx.attempt, error: info });
        throw error;
      }
    };

    try {
      const output = config
        ? await this.#step.do(name, config, recorded as Callback<never>, rollback)
        : await this.#step.do(name, recorded as Callback<never>, rollback);
      this.#recorder.push({
        kind: "stepEnd",
        at: Date.now(),
        name: logName,
        output: redacted ? null : jsonText(output),
        error: null,
        redacted,
      });
      return output;
    } catch (error) {
      if (!isEngineInterruption(error)) {
        this.#recorder.push({
          kind: "stepEnd",
          at: Date.now(),
          name: logName,
          output: null,
          error: errorInfo(error),
          redacted,
        });
      }
      throw error;
    }
  }

  sleep = async (name: string, duration: WorkflowSleepDuration): Promise<void> => {
    const at = Date.now();
    await this.#wait("sleep", name, { until: at + toMs(duration), eventType: null }, () =>
      this.#step.sleep(name, duration),
    );
  };

  sleepUntil = async (name: string, timestamp: Date | number): Promise<void> => {
    const until = timestamp instanceof Date ? timestamp.getTime() : timestamp;
    await this.#wait("sleep", name, { until, eventType: null }, () => this.#step.sleepUntil(name, timestamp));
  };

  async waitForEvent<T extends Rpc.Serializable<T>>(
    name: string,
    options: { type: string; timeout?: WorkflowTimeoutDuration | number },
  ): Promise<WorkflowStepEvent<T>> {
    const until = Date.now() + (options.timeout === undefined ? DEFAULT_EVENT_TIMEOUT_MS : toMs(options.timeout));
    return this.#wait("waitForEvent", name, { until, eventType: options.type }, () =>
      this.#step.waitForEvent<T>(name, options),
    );
  }

  /** Records the start of a wait, runs it, and records how it ended. */
  async #wait<R>(
    type: WaitType,
    name: string,
    { until, eventType }: { until: number | null; eventType: string | null },
    wait: () => Promise<R>,
  ): Promise<R> {
    const logName = this.#nameOf(type, name);
    this.#recorder.push({ kind: "waitStart", at: Date.now(), type, name: logName, until, eventType });
    try {
      const result = await wait();
      this.#recorder.push({
        kind: "waitEnd",
        at: Date.now(),
        type,
        name: logName,
        output: jsonText(eventOutput(result)),
        error: null,
      });
      return result;
    } catch (error) {
      if (!isEngineInterruption(error)) {
        this.#recorder.push({
          kind: "waitEnd",
          at: Date.now(),
          type,
          name: logName,
          output: null,
          error: errorInfo(error),
        });
      }
      throw error;
    }
  }

  #nameOf(kind: string, name: string): string {
    const key = `${kind}:${name}`;
    const count = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, count);
    return `${name}-${count}`;
  }
}

/** The configuration Cloudflare's log shows: defaults filled in, a delay function as "[dynamic]". */
function describe(config: WorkflowStepConfig | undefined): StepConfig {
  if (!config) return DEFAULT_CONFIG;
  const delay = config.retries?.delay;
  return {
    retries: {
      limit: config.retries?.limit ?? DEFAULT_CONFIG.retries.limit,
      delay: typeof delay === "function" ? "[dynamic]" : (delay ?? DEFAULT_CONFIG.retries.delay),
      backoff: config.retries?.backoff ?? "exponential",
    },
    timeout: config.timeout ?? DEFAULT_CONFIG.timeout,
    ...(config.sensitive ? { sensitive: config.sensitive } : {}),
  };
}

/** A received event as the log shows it; a sensitive payload is left out. */
function eventOutput(result: unknown): unknown {
  if (typeof result !== "object" || result === null || !("type" in result)) return null;
  const event = result as WorkflowStepEvent<unknown>;
  return {
    type: event.type,
    payload: event.sensitive === "output" ? "[REDACTED]" : event.payload,
    timestamp: event.timestamp instanceof Date ? event.timestamp.toISOString() : event.timestamp,
  };
}

/** Milliseconds of a sleep or timeout duration; 0 when it cannot be read (the wait still runs). */
function toMs(duration: WorkflowSleepDuration | number): number {
  try {
    return durationToMs(duration);
  } catch {
    return 0;
  }
}
