import type { ErrorInfo } from "./errors";
import type { InstanceStatus } from "./instance-status";

/**
 * What services and an instance's journal (its Durable Object) say to each other: the step log
 * in Cloudflare's shape, the instance's lifecycle, and what the API observed of it.
 */

/** A step.do configuration with Cloudflare's defaults filled in; a delay function is "[dynamic]". */
export type StepConfig = {
  retries: { limit: number; delay: string | number; backoff?: "constant" | "linear" | "exponential" };
  timeout: string | number;
  sensitive?: "output";
};

/**
 * What the engine applies to a step.do given no configuration (Cloudflare's documented
 * defaults), shown for a step whose start event carried none.
 */
export const DEFAULT_STEP_CONFIG: StepConfig = {
  retries: { limit: 5, delay: 10_000, backoff: "exponential" },
  timeout: "10 minutes",
};

export type Attempt = { start: string; end: string | null; success: boolean | null; error: ErrorInfo | null };

/**
 * A step's output in the log view: its JSON text, cut to `LOG_OUTPUT_LIMIT` characters, as
 * Cloudflare's API gives it (a string, or null while there is none); `GET …/step` has it whole.
 */
type LogOutput = { output: string | null; output_truncated?: true };

/** A step.do (or a rollback handler) as the log shows it. */
type DoEntry = {
  name: string;
  start: string;
  end: string | null;
  success: boolean | null;
  config: StepConfig;
  attempts: Attempt[];
} & LogOutput;

/** A step log entry in Cloudflare's instance-log shape. */
export type LogStep =
  | ({ type: "step" } & DoEntry)
  | ({ type: "rollback" } & DoEntry)
  | {
      type: "sleep";
      name: string;
      start: string;
      /** When it ended, else when it is planned to. */
      end: string;
      finished: boolean;
      error: ErrorInfo | null;
    }
  | {
      type: "waitForEvent";
      name: string;
      start: string;
      /** When it ended; null while it waits, since the engine's stream does not carry the timeout. */
      end: string | null;
      finished: boolean;
      error: ErrorInfo | null;
      event_type?: string;
      output?: string;
      output_truncated?: true;
    }
  | { type: "termination"; trigger: { source: string } };

export type StepQuery = { order: "asc" | "desc"; offset: number; limit: number };

/** A step's full output (JSON text) and state, for `GET …/instances/:id/step`. */
export type StepDetail = {
  status: "running" | "waiting" | "complete" | "errored";
  error: ErrorInfo | null;
  output: string | null;
  event_type?: string;
};

/**
 * Outputs longer than this (characters of JSON) are cut in the log view, as Cloudflare cuts
 * them; the full output is at `GET …/step`.
 */
export const LOG_OUTPUT_LIMIT = 1024;

export const REDACTED = "[REDACTED]";

/** How the instance's rollback handlers ran, when they did. */
export type RollbackOutcome = { outcome: "complete" | "failed"; error: ErrorInfo | null };

/** What the journal knows about its instance as a whole; output and params as JSON text. */
export type JournalSnapshot = {
  status: InstanceStatus;
  queuedAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  output: string | null;
  error: ErrorInfo | null;
  params: string | null;
  rollback: RollbackOutcome | null;
  stepCount: number;
};

/** The instance a journal mirrors. Workflow names cannot contain "/", so `name/id` names the journal. */
export type MirrorTarget = { workflowName: string; instanceId: string };

export type SyncOptions = {
  /** Write the index before answering (a request waits to show it); else through a batching writer. */
  indexNow?: boolean;
  /** Read the engine's history from its start, as after a restart made through the API. */
  fromStart?: boolean;
};

/** Where a mirror stands in the engine's stream: the last event it applied, and what that event was. */
export type StreamPosition = { cursor: number; mark: string | null };

/** What a sync needs to know of a journal before it reads the engine. */
export type SyncStart = {
  position: StreamPosition;
  /** The mirror saw the instance end: its stream, unless rewritten, ends after the cursor. */
  finished: boolean;
  /** The summary the mirror holds was handed to the index (`written`: written to D1 directly). */
  indexed: boolean;
  written: boolean;
  snapshot: JournalSnapshot;
};

/** Identifies an engine event beyond its id, which the engine reuses after a restart. */
export function markOf(event: WorkflowInstanceEvent): string {
  return `${event.type} ${event.timestamp} ${"stepName" in event ? event.stepName : ""}`;
}

export type StepPage = { json: string; count: number };
