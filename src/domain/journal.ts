import type { Json } from "../lib/json";
import type { ErrorInfo } from "./errors";
import type { InstanceStatus, TriggerSource } from "./instance-status";

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

export type Attempt = { start: string | null; end: string | null; success: boolean | null; error: ErrorInfo | null };

/** A step log entry in Cloudflare's instance-log shape. */
export type LogStep =
  | {
      type: "step";
      name: string;
      start: string | null;
      end: string | null;
      success: boolean | null;
      config: StepConfig | null;
      output: Json;
      output_truncated?: true;
      attempts: Attempt[];
    }
  | {
      type: "sleep";
      name: string;
      start: string | null;
      end: string | null;
      finished: boolean;
      error: ErrorInfo | null;
    }
  | {
      type: "waitForEvent";
      name: string;
      start: string | null;
      end: string | null;
      finished: boolean;
      error: ErrorInfo | null;
      event_type: string | null;
      output: Json;
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
 * Outputs longer than this (characters of JSON) are cut in the log view; the full output is at
 * `GET …/step`.
 */
export const LOG_OUTPUT_LIMIT = 4096;

export const REDACTED = "[REDACTED]";

/** What the journal knows about its instance as a whole; output and params as JSON text. */
export type JournalSnapshot = {
  status: InstanceStatus;
  queuedAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  output: string | null;
  error: ErrorInfo | null;
  params: string | null;
  triggerSource: TriggerSource;
  stepCount: number;
};

/** Something learned about the instance from outside it: the binding, or an action taken on it. */
export type Observation = {
  workflowName: string;
  instanceId: string;
  status: InstanceStatus;
  /** JSON text of the output, when the instance completed. */
  output: string | null;
  error: ErrorInfo | null;
  /** When an index row must be created: when the instance was created, as far as is known. */
  createdOn: number;
  action?:
    | { kind: "terminate"; source: string }
    | {
        kind: "restart";
        from?:
          | { name: string; count?: number | undefined; type?: "do" | "sleep" | "waitForEvent" | undefined }
          | undefined;
        /** `lastStepSeq()` before the restart: steps after it were reported by the new run. */
        upTo: number;
      };
};

export type StepPage = { json: string; count: number };
