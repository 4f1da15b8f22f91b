import type { ErrorInfo } from "../../domain/errors";
import { REDACTED, type RollbackOutcome } from "../../domain/journal";
import { jsonText, readStoredJson } from "../../lib/json";

type StepType = "step" | "rollback" | "sleep" | "waitForEvent";

const SUMMARY_EVENT = /^(workflow_|sleep_|wait_|rollback_started)/;

type StepStart = { config?: unknown; plannedEnd?: number | null; eventType?: string | null };

/**
 * How one event of the engine's stream changes the journal's mirror of it: the instance row, the
 * step log in Cloudflare's shape, and the attempts. The journal applies each event once, in
 * eventId order, inside the transaction that advances its cursor.
 *
 * Two events can only mean a restart, which Cloudflare's log shows as the new run alone: a
 * `workflow_queued` or `workflow_running` after the instance ended (a restart, when the engine
 * appends the new run to the history), and the start of a step that already ended (a restart
 * from that step: replays never start a finished step again). The mirror forgets accordingly.
 *
 * A fold lives for one transaction and remembers the seq of each step it met, since a step's
 * events come together (started, its attempts, completed).
 */
export class JournalFold {
  readonly #sql: SqlStorage;
  readonly #seqs = new Map<string, number>();
  #forgot = false;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /**
   * Applies one event; says whether it may have changed the instance's summary (its status,
   * times or error), which the index holds: a lifecycle event, a sleep or wait, the start of a
   * rollback, or an event that made the log forget a run (a restart).
   */
  apply(event: WorkflowInstanceEvent): boolean {
    this.#forgot = false;
    this.#fold(event);
    return this.#forgot || SUMMARY_EVENT.test(event.type);
  }

  #fold(event: WorkflowInstanceEvent): void {
    const at = event.timestamp;
    switch (event.type) {
      case "workflow_queued":
        if (this.#ended()) this.#forgetRun(0);
        this.#sql.exec("UPDATE instance SET lifecycle = 'queued', queued_at = coalesce(queued_at, ?)", at);
        return;
      case "workflow_started":
        this.#sql.exec(
          "UPDATE instance SET lifecycle = 'running', started_at = coalesce(started_at, ?), params = coalesce(params, ?)",
          at,
          jsonText(event.params),
        );
        return;
      case "workflow_running":
        if (this.#ended()) this.#reopen();
        this.#setLifecycle("running");
        return;
      case "workflow_paused":
        this.#setLifecycle("paused");
        return;
      case "workflow_waiting_for_pause":
        this.#setLifecycle("waitingForPause");
        return;
      case "workflow_waiting":
        this.#setLifecycle("waiting");
        return;
      case "workflow_completed":
        this.#sql.exec(
          "UPDATE instance SET lifecycle = 'complete', ended_at = ?, output = ?, error = NULL",
          at,
          jsonText(event.output),
        );
        return;
      case "workflow_errored":
        this.#sql.exec("UPDATE instance SET lifecycle = 'errored', ended_at = ?, error = ?", at, jsonText(event.error));
        return;
      case "workflow_terminated": {
        this.#sql.exec("UPDATE instance SET lifecycle = 'terminated', ended_at = ?", at);
        const count = this.#sql
          .exec<{ n: number }>("SELECT count(*) AS n FROM steps WHERE type = 'termination'")
          .one().n;
        this.#sql.exec(
          "INSERT INTO steps (type, name, started_at, settled, trigger_source) VALUES ('termination', ?, ?, 1, 'api')",
          `termination-${count + 1}`,
          at,
        );
        return;
      }
      case "step_started":
        this.#startStep("step", event.stepName, at, { config: event.config });
        return;
      case "rollback_step_started":
        this.#startStep("rollback", event.stepName, at, { config: event.config });
        return;
      case "attempt_started":
        this.#startAttempt("step", event.stepName, event.attempt, at);
        return;
      case "rollback_attempt_started":
        this.#startAttempt("rollback", event.stepName, event.attempt, at);
        return;
      case "attempt_completed":
        this.#endAttempt("step", event.stepName, event.attempt, at, null);
        return;
      case "rollback_attempt_completed":
        this.#endAttempt("rollback", event.stepName, event.attempt, at, null);
        return;
      case "attempt_errored":
        this.#endAttempt("step", event.stepName, event.attempt, at, event.error);
        return;
      case "rollback_attempt_errored":
        this.#endAttempt("rollback", event.stepName, event.attempt, at, event.error);
        return;
      case "step_completed": {
        const output = jsonText(event.output);
        this.#sql.exec(
          `UPDATE steps SET ended_at = ?, success = 1, output = ?, output_bytes = ?,
           redacted = CASE WHEN ? = '"${REDACTED}"' AND json_extract(config, '$.sensitive') = 'output' THEN 1 ELSE 0 END
         WHERE seq = ?`,
          at,
          output,
          output === null ? null : new TextEncoder().encode(output).byteLength,
          output,
          this.#stepSeq("step", event.stepName, at),
        );
        return;
      }
      case "step_errored":
        this.#failStep("step", event.stepName, at, null);
        return;
      case "rollback_step_completed":
        this.#sql.exec(
          "UPDATE steps SET ended_at = ?, success = 1 WHERE seq = ?",
          at,
          this.#stepSeq("rollback", event.stepName, at),
        );
        return;
      case "rollback_step_errored":
        this.#failStep("rollback", event.stepName, at, event.error);
        return;
      case "sleep_started":
        this.#startStep("sleep", event.stepName, at, { plannedEnd: at + event.durationMs });
        return;
      case "wait_started":
        this.#startStep("waitForEvent", event.stepName, at, { eventType: event.eventType });
        return;
      case "sleep_completed":
        this.#settle("sleep", event.stepName, at, null);
        return;
      case "wait_completed":
        this.#settle("waitForEvent", event.stepName, at, null);
        return;
      case "wait_timed_out":
        // The stream does not carry the engine's message; this is its error's name and gist.
        this.#settle("waitForEvent", event.stepName, at, {
          name: "WorkflowTimeoutError",
          message: "Execution timed out",
        });
        return;
      case "rollback_started":
        this.#sql.exec("UPDATE instance SET lifecycle = 'rollingBack', rollback = NULL");
        return;
      case "rollback_completed":
        this.#setRollback({ outcome: "complete", error: null });
        return;
      case "rollback_errored":
        this.#setRollback({ outcome: "failed", error: this.#lastRollbackError() });
        return;
    }
  }

  #setLifecycle(lifecycle: "running" | "paused" | "waitingForPause" | "waiting"): void {
    this.#sql.exec("UPDATE instance SET lifecycle = ?", lifecycle);
  }

  #ended(): boolean {
    return this.#sql.exec<{ ended: number }>("SELECT ended_at IS NOT NULL AS ended FROM instance").one().ended === 1;
  }

  /** A run that goes on after the instance ended: a restart, which starts the lifecycle over. */
  #reopen(): void {
    this.#sql.exec("UPDATE instance SET ended_at = NULL, output = NULL, error = NULL, rollback = NULL");
  }

  /** Forgets the steps from `seq` on, and reopens the instance: what a restart does to the log. */
  #forgetRun(seq: number): void {
    this.#sql.exec("DELETE FROM attempts WHERE step_seq >= ?", seq);
    this.#sql.exec("DELETE FROM steps WHERE seq >= ?", seq);
    this.#sql.exec("UPDATE instance SET started_at = CASE WHEN ? = 0 THEN NULL ELSE started_at END", seq);
    this.#seqs.clear();
    this.#forgot = true;
    this.#reopen();
  }

  /** The seq of a step, inserting it when its start was never seen (a history that began later). */
  #stepSeq(type: StepType, name: string, at: number): number {
    const remembered = this.#seqs.get(stepKey(type, name));
    if (remembered !== undefined) return remembered;
    const seq =
      this.#sql.exec<{ seq: number }>("SELECT seq FROM steps WHERE type = ? AND name = ?", type, name).toArray()[0]
        ?.seq ??
      this.#sql
        .exec<{ seq: number }>(
          "INSERT INTO steps (type, name, started_at) VALUES (?, ?, ?) RETURNING seq",
          type,
          name,
          at,
        )
        .one().seq;
    this.#seqs.set(stepKey(type, name), seq);
    return seq;
  }

  /**
   * A step, sleep or wait that starts, or a redelivery of its start. One that had already ended
   * (a rollback step aside) is restarted from: it and what came after go, and it starts afresh.
   */
  #startStep(
    type: StepType,
    name: string,
    at: number,
    { config = null, plannedEnd = null, eventType = null }: StepStart,
  ): void {
    for (;;) {
      // The no-op update makes a redelivered start return the step as it stands.
      const step = this.#sql
        .exec<{ seq: number; finished: number }>(
          `INSERT INTO steps (type, name, started_at, config, planned_end, event_type) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT DO UPDATE SET type = excluded.type
           RETURNING seq, ended_at IS NOT NULL OR settled = 1 AS finished`,
          type,
          name,
          at,
          jsonText(config),
          plannedEnd,
          eventType,
        )
        .one();
      if (step.finished === 1 && type !== "rollback") {
        this.#forgetRun(step.seq);
        continue;
      }
      this.#seqs.set(stepKey(type, name), step.seq);
      return;
    }
  }

  #startAttempt(type: "step" | "rollback", name: string, attempt: number, at: number): void {
    this.#sql.exec(
      "INSERT INTO attempts (step_seq, attempt, started_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      this.#stepSeq(type, name, at),
      attempt,
      at,
    );
  }

  #endAttempt(type: "step" | "rollback", name: string, attempt: number, at: number, error: ErrorInfo | null): void {
    // An attempt whose start was never seen (a history that began later) started when it ended.
    this.#sql.exec(
      `INSERT INTO attempts (step_seq, attempt, started_at, ended_at, success, error) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT DO UPDATE SET ended_at = excluded.ended_at, success = excluded.success, error = excluded.error`,
      this.#stepSeq(type, name, at),
      attempt,
      at,
      at,
      error ? 0 : 1,
      jsonText(error),
    );
  }

  /** A step that failed for good; its error is the given one, else its last attempt's. */
  #failStep(type: "step" | "rollback", name: string, at: number, error: ErrorInfo | null) {
    const seq = this.#stepSeq(type, name, at);
    this.#sql.exec(
      `UPDATE steps SET ended_at = ?, success = 0,
       error = coalesce(?, (SELECT error FROM attempts WHERE step_seq = ? ORDER BY attempt DESC LIMIT 1))
     WHERE seq = ?`,
      at,
      jsonText(error),
      seq,
      seq,
    );
  }

  #settle(type: "sleep" | "waitForEvent", name: string, at: number, error: ErrorInfo | null) {
    this.#sql.exec(
      "UPDATE steps SET settled = 1, ended_at = ?, success = ?, error = ? WHERE seq = ?",
      at,
      error ? 0 : 1,
      jsonText(error),
      this.#stepSeq(type, name, at),
    );
  }

  #setRollback(outcome: RollbackOutcome): void {
    this.#sql.exec("UPDATE instance SET rollback = ?", JSON.stringify(outcome));
  }

  #lastRollbackError(): ErrorInfo | null {
    const row = this.#sql
      .exec<{ error: string | null }>(
        "SELECT error FROM steps WHERE type = 'rollback' AND error IS NOT NULL ORDER BY seq DESC LIMIT 1",
      )
      .toArray()[0];
    return readStoredJson<ErrorInfo>(row?.error ?? null);
  }
}

function stepKey(type: StepType, name: string): string {
  return `${type}\u0000${name}`;
}
