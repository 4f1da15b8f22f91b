import type { ErrorInfo } from "../domain/errors";
import { REDACTED, type RollbackOutcome } from "../domain/journal";
import { jsonText, readStoredJson } from "../lib/json";

/**
 * How one event of the engine's stream changes the journal's mirror of it: the instance row, the
 * step log in Cloudflare's shape, and the attempts. The journal applies each event once, in
 * eventId order, inside the transaction that advances its cursor.
 *
 * Two events can only mean a restart, which Cloudflare's log shows as the new run alone: a
 * `workflow_queued` or `workflow_running` after the instance ended (a restart, when the engine
 * appends the new run to the history), and the start of a step that already ended (a restart
 * from that step: replays never start a finished step again). The mirror forgets accordingly.
 */
export function applyEvent(sql: SqlStorage, event: WorkflowInstanceEvent): void {
  const at = event.timestamp;
  switch (event.type) {
    case "workflow_queued":
      if (ended(sql)) forgetRun(sql, 0);
      sql.exec("UPDATE instance SET lifecycle = 'queued', queued_at = coalesce(queued_at, ?)", at);
      return;
    case "workflow_started":
      sql.exec(
        "UPDATE instance SET lifecycle = 'running', started_at = coalesce(started_at, ?), params = coalesce(params, ?)",
        at,
        jsonText(event.params),
      );
      return;
    case "workflow_running":
      if (ended(sql)) reopen(sql);
      setLifecycle(sql, "running");
      return;
    case "workflow_paused":
      setLifecycle(sql, "paused");
      return;
    case "workflow_waiting_for_pause":
      setLifecycle(sql, "waitingForPause");
      return;
    case "workflow_waiting":
      setLifecycle(sql, "waiting");
      return;
    case "workflow_completed":
      sql.exec(
        "UPDATE instance SET lifecycle = 'complete', ended_at = ?, output = ?, error = NULL",
        at,
        jsonText(event.output),
      );
      return;
    case "workflow_errored":
      sql.exec("UPDATE instance SET lifecycle = 'errored', ended_at = ?, error = ?", at, jsonText(event.error));
      return;
    case "workflow_terminated": {
      sql.exec("UPDATE instance SET lifecycle = 'terminated', ended_at = ?", at);
      const count = sql.exec<{ n: number }>("SELECT count(*) AS n FROM steps WHERE type = 'termination'").one().n;
      sql.exec(
        "INSERT INTO steps (type, name, started_at, settled, trigger_source) VALUES ('termination', ?, ?, 1, 'api')",
        `termination-${count + 1}`,
        at,
      );
      return;
    }
    case "step_started":
      startStep(sql, "step", event.stepName, at, event.config);
      return;
    case "rollback_step_started":
      startStep(sql, "rollback", event.stepName, at, event.config);
      return;
    case "attempt_started":
      startAttempt(sql, "step", event.stepName, event.attempt, at);
      return;
    case "rollback_attempt_started":
      startAttempt(sql, "rollback", event.stepName, event.attempt, at);
      return;
    case "attempt_completed":
      endAttempt(sql, "step", event.stepName, event.attempt, at, null);
      return;
    case "rollback_attempt_completed":
      endAttempt(sql, "rollback", event.stepName, event.attempt, at, null);
      return;
    case "attempt_errored":
      endAttempt(sql, "step", event.stepName, event.attempt, at, event.error);
      return;
    case "rollback_attempt_errored":
      endAttempt(sql, "rollback", event.stepName, event.attempt, at, event.error);
      return;
    case "step_completed": {
      const output = jsonText(event.output);
      sql.exec(
        `UPDATE steps SET ended_at = ?, success = 1, output = ?, output_bytes = ?,
           redacted = CASE WHEN ? = '"${REDACTED}"' AND json_extract(config, '$.sensitive') = 'output' THEN 1 ELSE 0 END
         WHERE seq = ?`,
        at,
        output,
        output === null ? null : new TextEncoder().encode(output).byteLength,
        output,
        stepSeq(sql, "step", event.stepName, at),
      );
      return;
    }
    case "step_errored":
      failStep(sql, "step", event.stepName, at, null);
      return;
    case "rollback_step_completed":
      sql.exec(
        "UPDATE steps SET ended_at = ?, success = 1 WHERE seq = ?",
        at,
        stepSeq(sql, "rollback", event.stepName, at),
      );
      return;
    case "rollback_step_errored":
      failStep(sql, "rollback", event.stepName, at, event.error);
      return;
    case "sleep_started":
      startWait(sql, "sleep", event.stepName, at, { plannedEnd: at + event.durationMs, eventType: null });
      return;
    case "wait_started":
      startWait(sql, "waitForEvent", event.stepName, at, { plannedEnd: null, eventType: event.eventType });
      return;
    case "sleep_completed":
      settle(sql, "sleep", event.stepName, at, null);
      return;
    case "wait_completed":
      settle(sql, "waitForEvent", event.stepName, at, null);
      return;
    case "wait_timed_out":
      // The stream does not carry the engine's message; this is its error's name and gist.
      settle(sql, "waitForEvent", event.stepName, at, { name: "WorkflowTimeoutError", message: "Execution timed out" });
      return;
    case "rollback_started":
      sql.exec("UPDATE instance SET lifecycle = 'rollingBack', rollback = NULL");
      return;
    case "rollback_completed":
      setRollback(sql, { outcome: "complete", error: null });
      return;
    case "rollback_errored":
      setRollback(sql, { outcome: "failed", error: lastRollbackError(sql) });
      return;
  }
}

function setLifecycle(sql: SqlStorage, lifecycle: "running" | "paused" | "waitingForPause" | "waiting"): void {
  sql.exec("UPDATE instance SET lifecycle = ?", lifecycle);
}

function ended(sql: SqlStorage): boolean {
  return sql.exec<{ ended: number }>("SELECT ended_at IS NOT NULL AS ended FROM instance").one().ended === 1;
}

/** A run that goes on after the instance ended: a restart, which starts the lifecycle over. */
function reopen(sql: SqlStorage): void {
  sql.exec("UPDATE instance SET ended_at = NULL, output = NULL, error = NULL, rollback = NULL");
  sql.exec("DELETE FROM claims");
}

/** Forgets the steps from `seq` on, and reopens the instance: what a restart does to the log. */
function forgetRun(sql: SqlStorage, seq: number): void {
  sql.exec("DELETE FROM attempts WHERE step_seq >= ?", seq);
  sql.exec("DELETE FROM steps WHERE seq >= ?", seq);
  sql.exec("UPDATE instance SET started_at = CASE WHEN ? = 0 THEN NULL ELSE started_at END", seq);
  reopen(sql);
}

type StepType = "step" | "rollback" | "sleep" | "waitForEvent";

/** The seq of a step, inserting it when its start was never seen (a history that began later). */
function stepSeq(sql: SqlStorage, type: StepType, name: string, at: number): number {
  sql.exec("INSERT INTO steps (type, name, started_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", type, name, at);
  return sql.exec<{ seq: number }>("SELECT seq FROM steps WHERE type = ? AND name = ?", type, name).one().seq;
}

/** A step that starts; one that had already ended is restarted from, so it and what came after go. */
function begin(sql: SqlStorage, type: StepType, name: string): void {
  const finished = sql
    .exec<{ seq: number }>(
      "SELECT seq FROM steps WHERE type = ? AND name = ? AND (ended_at IS NOT NULL OR settled = 1)",
      type,
      name,
    )
    .toArray()[0];
  if (finished) forgetRun(sql, finished.seq);
}

function startStep(sql: SqlStorage, type: "step" | "rollback", name: string, at: number, config: unknown): void {
  if (type === "step") begin(sql, type, name);
  sql.exec(
    "INSERT INTO steps (type, name, started_at, config) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
    type,
    name,
    at,
    jsonText(config),
  );
}

function startAttempt(sql: SqlStorage, type: "step" | "rollback", name: string, attempt: number, at: number): void {
  sql.exec(
    "INSERT INTO attempts (step_seq, attempt, started_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    stepSeq(sql, type, name, at),
    attempt,
    at,
  );
}

function endAttempt(
  sql: SqlStorage,
  type: "step" | "rollback",
  name: string,
  attempt: number,
  at: number,
  error: ErrorInfo | null,
): void {
  startAttempt(sql, type, name, attempt, at);
  sql.exec(
    "UPDATE attempts SET ended_at = ?, success = ?, error = ? WHERE step_seq = ? AND attempt = ?",
    at,
    error ? 0 : 1,
    jsonText(error),
    stepSeq(sql, type, name, at),
    attempt,
  );
}

/** A step that failed for good; its error is the given one, else its last attempt's. */
function failStep(sql: SqlStorage, type: "step" | "rollback", name: string, at: number, error: ErrorInfo | null) {
  const seq = stepSeq(sql, type, name, at);
  sql.exec(
    `UPDATE steps SET ended_at = ?, success = 0,
       error = coalesce(?, (SELECT error FROM attempts WHERE step_seq = ? ORDER BY attempt DESC LIMIT 1))
     WHERE seq = ?`,
    at,
    jsonText(error),
    seq,
    seq,
  );
}

function startWait(
  sql: SqlStorage,
  type: "sleep" | "waitForEvent",
  name: string,
  at: number,
  { plannedEnd, eventType }: { plannedEnd: number | null; eventType: string | null },
): void {
  begin(sql, type, name);
  sql.exec(
    "INSERT INTO steps (type, name, started_at, planned_end, event_type) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    type,
    name,
    at,
    plannedEnd,
    eventType,
  );
}

function settle(sql: SqlStorage, type: "sleep" | "waitForEvent", name: string, at: number, error: ErrorInfo | null) {
  sql.exec(
    "UPDATE steps SET settled = 1, ended_at = ?, success = ?, error = ? WHERE seq = ?",
    at,
    error ? 0 : 1,
    jsonText(error),
    stepSeq(sql, type, name, at),
  );
}

function setRollback(sql: SqlStorage, outcome: RollbackOutcome): void {
  sql.exec("UPDATE instance SET rollback = ?", JSON.stringify(outcome));
}

function lastRollbackError(sql: SqlStorage): ErrorInfo | null {
  const row = sql
    .exec<{ error: string | null }>(
      "SELECT error FROM steps WHERE type = 'rollback' AND error IS NOT NULL ORDER BY seq DESC LIMIT 1",
    )
    .toArray()[0];
  return readStoredJson<ErrorInfo>(row?.error ?? null);
}
