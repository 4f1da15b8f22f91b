import type { ErrorInfo } from "../domain/errors";
import type { StepConfig } from "../domain/journal";

/**
 * What a tracked workflow reports about its instance. Events are facts observed by one run of
 * `run()`; the engine re-runs `run()` after sleeps, restarts and evictions, so the same fact
 * may arrive more than once and the journal applies each idempotently.
 */

export type WaitType = "sleep" | "waitForEvent";

/**
 * `at` is milliseconds since the epoch; `name` carries the counter suffix ("charge card-1");
 * outputs travel as JSON text, which is what the journal stores.
 */
export type InstanceEvent =
  | { kind: "run"; at: number }
  | { kind: "complete"; at: number; output: string | null }
  | { kind: "fail"; at: number; error: ErrorInfo }
  | { kind: "stepStart"; at: number; name: string; config: StepConfig }
  | { kind: "attemptStart"; at: number; name: string; attempt: number }
  | { kind: "attemptEnd"; at: number; name: string; attempt: number; error: ErrorInfo | null }
  | { kind: "stepEnd"; at: number; name: string; output: string | null; error: ErrorInfo | null; redacted: boolean }
  | { kind: "waitStart"; at: number; type: WaitType; name: string; until: number | null; eventType: string | null }
  | { kind: "waitEnd"; at: number; type: WaitType; name: string; output: string | null; error: ErrorInfo | null };

/** One delivery from a tracked instance: who it is, and what happened since the last one. */
export type InstanceReport = {
  workflowName: string;
  instanceId: string;
  /** When the instance was created (the event's timestamp). */
  queuedAt: number;
  /** The instance's params as JSON text, so an instance created through the binding gets them indexed. */
  params: string | null;
  /** "cron" when a schedule created the instance. */
  cron: boolean;
  events: InstanceEvent[];
};
