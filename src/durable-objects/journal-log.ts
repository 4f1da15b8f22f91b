import { type Json, parseJson as parse } from "../lib/json";
import { toIso } from "../lib/time";
import type { ErrorInfo, StepConfig } from "../tracking/events";

/**
 * The journal's SQLite schema. `steps.seq` only grows (AUTOINCREMENT), so after a restart forgets
 * steps the new ones still sort after everything kept.
 */
export const JOURNAL_SCHEMA = `
  CREATE TABLE IF NOT EXISTS instance (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    workflow_name TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    status TEXT NOT NULL,
    queued_at INTEGER,
    started_at INTEGER,
    ended_at INTEGER,
    output TEXT,
    error TEXT,
    params TEXT,
    trigger_source TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 0,
    checked_at INTEGER
  );
  CREATE TABLE IF NOT EXISTS steps (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    started_at INTEGER,
    ended_at INTEGER,
    planned_end INTEGER,
    success INTEGER,
    settled INTEGER NOT NULL DEFAULT 0,
    config TEXT,
    output TEXT,
    output_bytes INTEGER,
    redacted INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    event_type TEXT,
    trigger_source TEXT,
    UNIQUE (type, name)
  );
  CREATE TABLE IF NOT EXISTS claims (
    action TEXT PRIMARY KEY,
    claimant TEXT NOT NULL,
    claimed_at INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS attempts (
    step_seq INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    started_at INTEGER,
    ended_at INTEGER,
    success INTEGER,
    error TEXT,
    PRIMARY KEY (step_seq, attempt)
  );
`;

export type StepRow = {
  seq: number;
  type: "step" | "sleep" | "waitForEvent" | "termination";
  name: string;
  started_at: number | null;
  ended_at: number | null;
  planned_end: number | null;
  success: number | null;
  settled: number;
  config: string | null;
  output: string | null;
  output_bytes: number | null;
  redacted: number;
  error: string | null;
  event_type: string | null;
  trigger_source: string | null;
};

type AttemptRow = {
  step_seq: number;
  attempt: number;
  started_at: number | null;
  ended_at: number | null;
  success: number | null;
  error: string | null;
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

/** Reads one page of the log: only `LOG_OUTPUT_LIMIT` characters of each output leave SQLite. */
export function readSteps(sql: SqlStorage, { order, offset, limit }: StepQuery): LogStep[] {
  const rows = sql
    .exec<StepRow>(
      `SELECT seq, type, name, started_at, ended_at, planned_end, success, settled, config,
         substr(output, 1, ${LOG_OUTPUT_LIMIT + 1}) AS output, output_bytes, redacted, error, event_type, trigger_source
       FROM steps ORDER BY seq ${order === "desc" ? "DESC" : "ASC"} LIMIT ? OFFSET ?`,
      limit,
      offset,
    )
    .toArray();
  const attempts = attemptsOf(sql, rows);
  return rows.map((row) => toLogStep(row, attempts.get(row.seq) ?? []));
}

function attemptsOf(sql: SqlStorage, rows: StepRow[]): Map<number, Attempt[]> {
  const seqs = rows.filter((row) => row.type === "step").map((row) => row.seq);
  const bySeq = new Map<number, Attempt[]>();
  if (seqs.length === 0) return bySeq;
  const attempts = sql
    .exec<AttemptRow>(
      `SELECT * FROM attempts WHERE step_seq BETWEEN ? AND ? ORDER BY step_seq, attempt`,
      Math.min(...seqs),
      Math.max(...seqs),
    )
    .toArray();
  for (const attempt of attempts) {
    const list = bySeq.get(attempt.step_seq) ?? [];
    list.push({
      start: toIso(attempt.started_at),
      end: toIso(attempt.ended_at),
      success: flag(attempt.success),
      error: parse(attempt.error) as ErrorInfo | null,
    });
    bySeq.set(attempt.step_seq, list);
  }
  return bySeq;
}

function toLogStep(row: StepRow, attempts: Attempt[]): LogStep {
  const error = parse(row.error) as ErrorInfo | null;
  switch (row.type) {
    case "termination":
      return { type: "termination", trigger: { source: row.trigger_source ?? "unknown" } };
    case "sleep":
      return {
        type: "sleep",
        name: row.name,
        start: toIso(row.started_at),
        end: toIso(row.ended_at ?? row.planned_end),
        finished: row.settled === 1 && error === null,
        error,
      };
    case "waitForEvent":
      return {
        type: "waitForEvent",
        name: row.name,
        start: toIso(row.started_at),
        end: toIso(row.ended_at ?? row.planned_end),
        finished: row.settled === 1 && error === null,
        error,
        event_type: row.event_type,
        ...logOutput(row),
      };
    case "step":
      return {
        type: "step",
        name: row.name,
        start: toIso(row.started_at),
        end: toIso(row.ended_at),
        success: flag(row.success),
        config: parse(row.config) as StepConfig | null,
        ...logOutput(row),
        attempts,
      };
  }
}

/** An output for the log view: redacted, whole, or cut to `LOG_OUTPUT_LIMIT` characters of JSON. */
function logOutput(row: StepRow): { output: Json; output_truncated?: true } {
  if (row.redacted) return { output: REDACTED };
  if (row.output !== null && row.output.length > LOG_OUTPUT_LIMIT) {
    return { output: `${row.output.slice(0, LOG_OUTPUT_LIMIT)}…`, output_truncated: true };
  }
  return { output: parse(row.output) };
}

/** One step by its log name, with its full output; `attempt` narrows to one attempt of a step. */
export function readStep(
  sql: SqlStorage,
  name: string,
  type: "step" | "waitForEvent",
  attempt?: number,
): StepDetail | null {
  const row = sql.exec<StepRow>("SELECT * FROM steps WHERE type = ? AND name = ?", type, name).toArray()[0];
  if (!row) return null;
  const output = row.redacted ? JSON.stringify(REDACTED) : row.output;
  if (type === "waitForEvent") {
    const error = parse(row.error) as ErrorInfo | null;
    return {
      status: row.settled === 0 ? "waiting" : error ? "errored" : "complete",
      error,
      output: row.settled === 1 && !error ? output : null,
      ...(row.event_type ? { event_type: row.event_type } : {}),
    };
  }
  const attempts = sql
    .exec<AttemptRow>("SELECT * FROM attempts WHERE step_seq = ? ORDER BY attempt", row.seq)
    .toArray();
  if (attempt !== undefined) {
    const one = attempts.find((candidate) => candidate.attempt === attempt);
    if (!one) return null;
    const error = parse(one.error) as ErrorInfo | null;
    const status = one.ended_at === null ? "running" : one.success ? "complete" : "errored";
    return { status, error, output: status === "complete" ? output : null };
  }
  const lastError = parse(attempts.at(-1)?.error ?? null) as ErrorInfo | null;
  if (row.ended_at === null) return { status: "running", error: lastError, output: null };
  return row.success
    ? { status: "complete", error: null, output }
    : { status: "errored", error: (parse(row.error) as ErrorInfo | null) ?? lastError, output: null };
}

function flag(value: number | null): boolean | null {
  return value === null ? null : value === 1;
}
