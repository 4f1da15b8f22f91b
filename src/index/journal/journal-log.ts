import type { ErrorInfo } from "../../domain/errors";
import type { InstanceStatus } from "../../domain/instance-status";
import {
  type Attempt,
  DEFAULT_STEP_CONFIG,
  LOG_OUTPUT_LIMIT,
  type LogStep,
  REDACTED,
  type StepConfig,
  type StepDetail,
  type StepQuery,
} from "../../domain/journal";
import { readStoredJson } from "../../lib/json";
import { toIso } from "../../lib/time";

/**
 * The journal's SQLite schema, one migration per version (see `migrateSqlite`).
 *
 * Version 1 held logs rebuilt from a tracked workflow's own reports. Version 2 mirrors the
 * engine's event stream: `instance.cursor` is the last engine event applied and `cursor_mark`
 * tells that event apart from another that reuses its id after a restart. Version 2 drops the
 * logs of version 1; the next sync rebuilds them from the engine, which keeps every event for
 * the instance's retention. `steps.seq` only grows (AUTOINCREMENT), so steps recorded after a
 * restart forgot some still sort after everything kept.
 */
export const JOURNAL_MIGRATIONS = [
  `
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
`,
  `
  DROP TABLE instance;
  DROP TABLE steps;
  DROP TABLE attempts;
  CREATE TABLE instance (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    workflow_name TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    lifecycle TEXT NOT NULL DEFAULT 'queued',
    queued_at INTEGER,
    started_at INTEGER,
    ended_at INTEGER,
    output TEXT,
    error TEXT,
    params TEXT,
    rollback TEXT,
    cursor INTEGER NOT NULL DEFAULT 0,
    cursor_mark TEXT,
    changed_at INTEGER,
    revision INTEGER NOT NULL DEFAULT 0,
    indexed TEXT,
    written TEXT
  );
  CREATE TABLE steps (
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
  CREATE TABLE attempts (
    step_seq INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    started_at INTEGER,
    ended_at INTEGER,
    success INTEGER,
    error TEXT,
    PRIMARY KEY (step_seq, attempt)
  );
`,
  // v3: bulk jobs no longer claim terminations here; the engine refuses a second terminate.
  "DROP TABLE IF EXISTS claims",
];

/** The instance row of version 2. */
export type InstanceRow = {
  workflow_name: string;
  instance_id: string;
  lifecycle: InstanceStatus;
  queued_at: number | null;
  started_at: number | null;
  ended_at: number | null;
  output: string | null;
  error: string | null;
  params: string | null;
  rollback: string | null;
  cursor: number;
  cursor_mark: string | null;
  changed_at: number | null;
  revision: number;
  /** The summary last handed to the index, and the one last written to D1 directly. */
  indexed: string | null;
  written: string | null;
};

export type StepRow = {
  seq: number;
  type: "step" | "rollback" | "sleep" | "waitForEvent" | "termination";
  name: string;
  /** Every insert sets it: a step is recorded when it starts, or (seen late) when it ends. */
  started_at: number;
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
  started_at: number;
  ended_at: number | null;
  success: number | null;
  error: string | null;
};

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
  const seqs = rows.filter((row) => row.type === "step" || row.type === "rollback").map((row) => row.seq);
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
      error: readStoredJson<ErrorInfo>(attempt.error),
    });
    bySeq.set(attempt.step_seq, list);
  }
  return bySeq;
}

function toLogStep(row: StepRow, attempts: Attempt[]): LogStep {
  const error = readStoredJson<ErrorInfo>(row.error);
  switch (row.type) {
    case "termination":
      return { type: "termination", trigger: { source: row.trigger_source ?? "unknown" } };
    case "sleep":
      return {
        type: "sleep",
        name: row.name,
        start: toIso(row.started_at),
        // A sleep's planned end is known from its start, so this is never null.
        end: toIso(row.ended_at ?? row.planned_end ?? row.started_at),
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
        ...(row.event_type === null ? {} : { event_type: row.event_type }),
        ...logText(row),
      };
    case "step":
    case "rollback":
      return {
        type: row.type,
        name: row.name,
        start: toIso(row.started_at),
        end: toIso(row.ended_at),
        success: flag(row.success),
        config: readStoredJson<StepConfig>(row.config) ?? DEFAULT_STEP_CONFIG,
        ...logOutput(row),
        attempts,
      };
  }
}

/** A step.do's output in the log view: null while there is none. */
function logOutput(row: StepRow): { output: string | null; output_truncated?: true } {
  return logText(row) ?? { output: null };
}

/**
 * An output as Cloudflare's log view shows it: its JSON text, cut to `LOG_OUTPUT_LIMIT`
 * characters (flagged `output_truncated`), or "[REDACTED]".
 */
function logText(row: StepRow): { output: string; output_truncated?: true } | undefined {
  if (row.redacted) return { output: REDACTED };
  if (row.output === null) return undefined;
  if (row.output.length > LOG_OUTPUT_LIMIT) {
    // Never half a character: a cut between the two halves of a surrogate pair keeps neither.
    const last = row.output.charCodeAt(LOG_OUTPUT_LIMIT - 1);
    const end = last >= 0xd800 && last <= 0xdbff ? LOG_OUTPUT_LIMIT - 1 : LOG_OUTPUT_LIMIT;
    return { output: row.output.slice(0, end), output_truncated: true };
  }
  return { output: row.output };
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
    const error = readStoredJson<ErrorInfo>(row.error);
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
    const error = readStoredJson<ErrorInfo>(one.error);
    const status = one.ended_at === null ? "running" : one.success ? "complete" : "errored";
    return { status, error, output: status === "complete" ? output : null };
  }
  const lastError = readStoredJson<ErrorInfo>(attempts.at(-1)?.error ?? null);
  if (row.ended_at === null) return { status: "running", error: lastError, output: null };
  return row.success
    ? { status: "complete", error: null, output }
    : { status: "errored", error: readStoredJson<ErrorInfo>(row.error) ?? lastError, output: null };
}

function flag(value: number | null): boolean | null {
  return value === null ? null : value === 1;
}
