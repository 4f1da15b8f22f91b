import { DurableObject } from "cloudflare:workers";
import { createDb } from "../db/client";
import type { ErrorInfo } from "../domain/errors";
import { type InstanceStatus, isFinished, type TriggerSource } from "../domain/instance-status";
import type { JournalSnapshot, Observation, StepDetail, StepPage, StepQuery } from "../domain/journal";
import { jsonText, readStoredJson } from "../lib/json";
import { type SummaryUpdate, writeSummaries } from "../services/instances/summary";
import type { InstanceEvent, InstanceReport } from "../tracking/events";
import { indexWriterFor } from "./index-writer";
import { JOURNAL_MIGRATIONS, readStep, readSteps, type StepRow } from "./journal-log";
import { migrateSqlite } from "./sqlite-schema";

type InstanceRow = {
  workflow_name: string;
  instance_id: string;
  status: InstanceStatus;
  queued_at: number | null;
  started_at: number | null;
  ended_at: number | null;
  output: string | null;
  error: string | null;
  params: string | null;
  trigger_source: TriggerSource;
  revision: number;
  checked_at: number | null;
};

/** How long the index may go without a confirmation write when nothing changed. */
const RECHECK_AFTER_MS = 60_000;

/** Attempt ends that never arrived: the engine moved on (a timeout, or an evicted isolate). */
const LOST_ATTEMPT: ErrorInfo = {
  name: "Error",
  message: "The attempt ended without reporting (it timed out, or its isolate was evicted)",
};

/**
 * One instance's step log and lifecycle, in its own SQLite database: each instance writes only
 * here, so step events of many instances never queue behind one writer. Reports are applied
 * idempotently (a replay repeats facts the journal already has), and each change of the
 * instance's summary goes to the D1 index, through a batching `IndexWriter` for reports and
 * directly for observations made by the API.
 */
export class InstanceJournal extends DurableObject<Env> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    migrateSqlite(ctx.storage, JOURNAL_MIGRATIONS);
  }

  /** Applies what a tracked workflow reported; the index follows within a flush interval. */
  async record(report: InstanceReport): Promise<void> {
    const update = this.ctx.storage.transactionSync(() => {
      this.#ensureInstance(report.workflowName, report.instanceId, {
        queuedAt: report.queuedAt,
        params: report.params,
        triggerSource: report.cron ? "cron" : "binding",
      });
      const before = this.#summaryKey();
      for (const event of report.events) this.#apply(event);
      this.#settleWaiting();
      return this.#nextSummary(before, null);
    });
    if (update) await indexWriterFor(this.env, update).enqueue([update]);
  }

  /** Applies what the API saw or did, writes the index now, and returns the merged snapshot. */
  async observe(observation: Observation): Promise<JournalSnapshot> {
    const update = this.#observe(observation);
    if (update) await writeSummaries(createDb(this.env.DB), [update]);
    return this.snapshot();
  }

  /**
   * Applies an observation and returns the index write it calls for, for a caller that batches
   * the writes of many instances (a bulk job), with the status the journal knew before.
   */
  observeForBatch(observation: Observation): { previous: InstanceStatus | null; update: SummaryUpdate | null } {
    const previous = this.#instance()?.status ?? null;
    return { previous, update: this.#observe(observation) };
  }

  #observe(observation: Observation): SummaryUpdate | null {
    return this.ctx.storage.transactionSync(() => {
      this.#ensureInstance(observation.workflowName, observation.instanceId, {
        queuedAt: observation.createdOn,
        params: null,
        triggerSource: "unknown",
      });
      const before = this.#summaryKey();
      this.#applyObservation(observation);
      this.#settleWaiting();
      return this.#nextSummary(before, Date.now());
    });
  }

  /**
   * Claims an action on the instance for `claimant` (a bulk job): true for the first claimant
   * and for its retries, false for anyone else. Jobs that overlap thus terminate an instance
   * once between them; a restart releases the claims.
   */
  claim(action: "terminate", claimant: string): boolean {
    this.#sql.exec(
      "INSERT INTO claims (action, claimant, claimed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      action,
      claimant,
      Date.now(),
    );
    return (
      this.#sql.exec<{ claimant: string }>("SELECT claimant FROM claims WHERE action = ?", action).one().claimant ===
      claimant
    );
  }

  /**
   * Where the step log ends. Read before a restart, it tells the steps of the old run from those
   * the new run may report before the restart is observed here.
   */
  lastStepSeq(): number {
    return this.#sql.exec<{ seq: number | null }>("SELECT max(seq) AS seq FROM steps").one().seq ?? 0;
  }

  snapshot(): JournalSnapshot {
    const row = this.#instance();
    const steps = this.#sql.exec<{ count: number }>("SELECT count(*) AS count FROM steps").one().count;
    return {
      status: row?.status ?? "queued",
      queuedAt: row?.queued_at ?? null,
      startedAt: row?.started_at ?? null,
      endedAt: row?.ended_at ?? null,
      output: row?.output ?? null,
      error: readStoredJson<ErrorInfo>(row?.error ?? null),
      params: row?.params ?? null,
      triggerSource: row?.trigger_source ?? "unknown",
      stepCount: steps,
    };
  }

  /**
   * A page of the step log in Cloudflare's shape, outputs truncated, as JSON text of an array
   * (written into responses as it is) and how many steps it holds.
   */
  steps(query: StepQuery): StepPage {
    const steps = readSteps(this.#sql, query);
    return { json: JSON.stringify(steps), count: steps.length };
  }

  /** One step's full output (JSON text) and status, or null when there is no such step. */
  step(name: string, type: "step" | "waitForEvent", attempt?: number): StepDetail | null {
    return readStep(this.#sql, name, type, attempt);
  }

  /** Forgets the instance (it was deleted). */
  async clear(): Promise<void> {
    await this.ctx.storage.deleteAll();
    migrateSqlite(this.ctx.storage, JOURNAL_MIGRATIONS);
  }

  // -------------------------------------------------------------------------------------------
  // Applying reports
  // -------------------------------------------------------------------------------------------

  #apply(event: InstanceEvent): void {
    switch (event.kind) {
      case "run": {
        const row = this.#instance();
        // A run after the end means the instance was restarted outside this API.
        if (row && isFinished(row.status)) this.#resetLifecycle("running", event.at);
        this.#sql.exec(
          `UPDATE instance SET status = CASE WHEN status IN ('queued', 'paused', 'waitingForPause') THEN 'running' ELSE status END,
             started_at = coalesce(started_at, ?)`,
          event.at,
        );
        return;
      }
      case "complete":
        this.#sql.exec(
          "UPDATE instance SET status = 'complete', ended_at = ?, output = ?, error = NULL",
          event.at,
          event.output,
        );
        return;
      case "fail":
        this.#sql.exec("UPDATE instance SET status = 'errored', ended_at = ?, error = ?", event.at, json(event.error));
        return;
      case "stepStart":
        this.#sql.exec(
          "INSERT INTO steps (type, name, started_at, config) VALUES ('step', ?, ?, ?) ON CONFLICT DO NOTHING",
          event.name,
          event.at,
          json(event.config),
        );
        return;
      case "attemptStart":
        this.#startAttempt(event.name, event.attempt, event.at);
        return;
      case "attemptEnd": {
        const seq = this.#stepSeq("step", event.name, event.at);
        this.#sql.exec(
          "INSERT INTO attempts (step_seq, attempt, started_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
          seq,
          event.attempt,
          event.at,
        );
        this.#sql.exec(
          "UPDATE attempts SET ended_at = ?, success = ?, error = ? WHERE step_seq = ? AND attempt = ? AND ended_at IS NULL",
          event.at,
          event.error ? 0 : 1,
          json(event.error),
          seq,
          event.attempt,
        );
        return;
      }
      case "stepEnd": {
        const seq = this.#stepSeq("step", event.name, event.at);
        const output = event.error ? null : event.output;
        this.#sql.exec(
          `UPDATE steps SET ended_at = ?, success = ?, output = ?, output_bytes = ?, error = ?, redacted = ?
           WHERE seq = ? AND ended_at IS NULL`,
          event.at,
          event.error ? 0 : 1,
          output,
          output === null ? null : new TextEncoder().encode(output).byteLength,
          json(event.error),
          event.redacted ? 1 : 0,
          seq,
        );
        return;
      }
      case "waitStart":
        this.#sql.exec(
          `INSERT INTO steps (type, name, started_at, planned_end, event_type) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT DO NOTHING`,
          event.type,
          event.name,
          event.at,
          event.until,
          event.eventType,
        );
        return;
      case "waitEnd": {
        const seq = this.#stepSeq(event.type, event.name, event.at);
        this.#sql.exec(
          "UPDATE steps SET settled = 1, ended_at = ?, success = ?, output = ?, error = ? WHERE seq = ? AND settled = 0",
          event.at,
          event.error ? 0 : 1,
          event.output,
          json(event.error),
          seq,
        );
        return;
      }
    }
  }

  /**
   * Records an attempt. A first attempt of a step that already ended means the instance was
   * restarted from that step (restarts re-run steps; replays never do), so that step and all
   * after it are forgotten first. Earlier attempts still open ended without reporting.
   */
  #startAttempt(name: string, attempt: number, at: number): void {
    const existing = this.#sql
      .exec<{ seq: number; ended_at: number | null; config: string | null }>(
        "SELECT seq, ended_at, config FROM steps WHERE type = 'step' AND name = ?",
        name,
      )
      .toArray()[0];
    if (existing && attempt === 1 && existing.ended_at !== null) {
      this.#forgetFrom(existing.seq);
      this.#resetLifecycle("running", at);
      this.#sql.exec(
        "INSERT INTO steps (type, name, started_at, config) VALUES ('step', ?, ?, ?)",
        name,
        at,
        existing.config,
      );
    }
    const seq = this.#stepSeq("step", name, at);
    this.#sql.exec(
      "UPDATE attempts SET ended_at = ?, success = 0, error = ? WHERE step_seq = ? AND attempt < ? AND ended_at IS NULL",
      at,
      json(LOST_ATTEMPT),
      seq,
      attempt,
    );
    this.#sql.exec(
      "INSERT INTO attempts (step_seq, attempt, started_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      seq,
      attempt,
      at,
    );
  }

  /** The seq of a step, inserting it when its start was never reported. */
  #stepSeq(type: StepRow["type"], name: string, at: number): number {
    this.#sql.exec(
      "INSERT INTO steps (type, name, started_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      type,
      name,
      at,
    );
    return this.#sql.exec<{ seq: number }>("SELECT seq FROM steps WHERE type = ? AND name = ?", type, name).one().seq;
  }

  /** A running instance with a sleep or event wait outstanding is waiting, and vice versa. */
  #settleWaiting(): void {
    this.#sql.exec(
      `UPDATE instance SET status = CASE
         WHEN EXISTS (SELECT 1 FROM steps WHERE type IN ('sleep', 'waitForEvent') AND settled = 0) THEN 'waiting'
         ELSE 'running' END
       WHERE status IN ('running', 'waiting')`,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Applying observations
  // -------------------------------------------------------------------------------------------

  #applyObservation(observation: Observation): void {
    const { action } = observation;
    const at = Date.now();
    if (action?.kind === "restart") {
      const from = action.from ? this.#findRestartStep(action.from) : undefined;
      this.#forgetFrom(from ?? 0, action.upTo);
      this.#resetLifecycle(observation.status, at);
      return;
    }
    if (action?.kind === "terminate") {
      const count = this.#sql.exec<{ n: number }>("SELECT count(*) AS n FROM steps WHERE type = 'termination'").one().n;
      this.#sql.exec(
        "INSERT INTO steps (type, name, started_at, trigger_source, settled) VALUES ('termination', ?, ?, ?, 1)",
        `termination-${count + 1}`,
        at,
        action.source,
      );
    }
    const current = this.#instance();
    // The local engine, and production while waiting for an event, report "running" for an
    // instance that is waiting; the journal's own view is the more precise one then.
    const status = observation.status === "running" && current?.status === "waiting" ? "waiting" : observation.status;
    if (current && isFinished(current.status) && !isFinished(status)) this.#resetLifecycle(status, at);
    this.#sql.exec(
      `UPDATE instance SET status = ?,
         started_at = CASE WHEN ? != 'queued' THEN coalesce(started_at, ?) ELSE started_at END,
         ended_at = CASE WHEN ? THEN coalesce(ended_at, ?) ELSE NULL END,
         output = CASE WHEN ? IS NOT NULL THEN ? ELSE output END,
         error = CASE WHEN ? IS NOT NULL THEN ? ELSE error END`,
      status,
      status,
      at,
      isFinished(status) ? 1 : 0,
      at,
      observation.output,
      observation.output,
      json(observation.error),
      json(observation.error),
    );
  }

  /** The seq of the step a restart `from` names, as the engine matches it. */
  #findRestartStep(from: NonNullable<Extract<Observation["action"], { kind: "restart" }>["from"]>): number | undefined {
    const type = from.type === "sleep" ? "sleep" : from.type === "waitForEvent" ? "waitForEvent" : "step";
    return this.#sql
      .exec<{ seq: number }>(
        "SELECT seq FROM steps WHERE type = ? AND name = ?",
        type,
        `${from.name}-${from.count ?? 1}`,
      )
      .toArray()[0]?.seq;
  }

  // -------------------------------------------------------------------------------------------
  // Shared helpers
  // -------------------------------------------------------------------------------------------

  #ensureInstance(
    workflowName: string,
    instanceId: string,
    seed: { queuedAt: number; params: string | null; triggerSource: TriggerSource },
  ): void {
    this.#sql.exec(
      `INSERT INTO instance (id, workflow_name, instance_id, status, queued_at, params, trigger_source)
       VALUES (1, ?, ?, 'queued', ?, ?, ?) ON CONFLICT DO NOTHING`,
      workflowName,
      instanceId,
      seed.queuedAt,
      seed.params,
      seed.triggerSource,
    );
    if (seed.params !== null) this.#sql.exec("UPDATE instance SET params = coalesce(params, ?)", seed.params);
  }

  #instance(): InstanceRow | undefined {
    return this.#sql.exec<InstanceRow>("SELECT * FROM instance").toArray()[0];
  }

  /** Forgets the steps from `seq` on (up to `upTo`), as a restart from that step does. */
  #forgetFrom(seq: number, upTo = Number.MAX_SAFE_INTEGER): void {
    this.#sql.exec("DELETE FROM attempts WHERE step_seq >= ? AND step_seq <= ?", seq, upTo);
    this.#sql.exec("DELETE FROM steps WHERE seq >= ? AND seq <= ?", seq, upTo);
  }

  /** A restarted instance: a new run, nothing ended yet, nothing claimed. */
  #resetLifecycle(status: InstanceStatus, at: number): void {
    this.#sql.exec("DELETE FROM claims");
    this.#sql.exec(
      "UPDATE instance SET status = ?, started_at = ?, ended_at = NULL, output = NULL, error = NULL",
      status,
      status === "queued" ? null : at,
    );
  }

  /** The parts of the instance the index holds, to tell whether a write is due. */
  #summaryKey(): string {
    const row = this.#instance();
    const errorName = row?.error ? readStoredJson<ErrorInfo>(row.error).name : null;
    return JSON.stringify([row?.status, row?.started_at, row?.ended_at, errorName]);
  }

  /**
   * The next summary for the index, with a new revision, if the indexed parts changed (or, for
   * an engine-confirmed observation, if the index has not been told of a confirmation lately).
   */
  #nextSummary(before: string, checkedOn: number | null): SummaryUpdate | null {
    const previous = this.#instance();
    const confirmationDue =
      checkedOn !== null && (previous?.checked_at == null || checkedOn - previous.checked_at > RECHECK_AFTER_MS);
    if (before === this.#summaryKey() && !confirmationDue) return null;
    this.#sql.exec("UPDATE instance SET revision = revision + 1, checked_at = coalesce(?, checked_at)", checkedOn);
    const row = this.#instance();
    if (!row) return null;
    return {
      workflowName: row.workflow_name,
      instanceId: row.instance_id,
      revision: row.revision,
      status: row.status,
      startedOn: row.started_at,
      endedOn: row.ended_at,
      errorName: row.error ? readStoredJson<ErrorInfo>(row.error).name : null,
      checkedOn,
      at: Date.now(),
      createdOn: row.queued_at ?? Date.now(),
      triggerSource: row.trigger_source,
      params: row.params,
    };
  }
}

const json = jsonText;
