import { DurableObject } from "cloudflare:workers";
import { createDb } from "../../db/client";
import type { RestartFrom } from "../../domain/bulk";
import type { ErrorInfo } from "../../domain/errors";
import { isFinished } from "../../domain/instance-status";
import {
  type JournalSnapshot,
  type MirrorTarget,
  markOf,
  type RollbackOutcome,
  type StepDetail,
  type StepPage,
  type StepQuery,
  type StreamPosition,
  type SyncStart,
} from "../../domain/journal";
import { errorShape, stepName } from "../../domain/metrics";
import { readStoredJson } from "../../lib/json";
import { migrateSqlite } from "../../lib/sqlite-schema";
import type { AttemptFact, SummaryUpdate } from "../summaries";
import { createIndexAccess, writeToIndex } from "../workflow-index";
import { indexWriterFor } from "../writer";
import { JournalFold } from "./journal-fold";
import { type InstanceRow, JOURNAL_MIGRATIONS, readStep, readSteps } from "./journal-log";

/** The instance's status (SQL over its row): `waiting` while a running instance sleeps or waits. */
const STATUS = `CASE WHEN lifecycle = 'running' AND EXISTS (
    SELECT 1 FROM steps WHERE type IN ('sleep', 'waitForEvent') AND settled = 0
  ) THEN 'waiting' ELSE lifecycle END`;

/** An attempt's place in the order attempts end, as text that sorts the same way (SQL over `attempts`). */
const ATTEMPT_MARK = "printf('%015d:%08d:%04d', attempts.ended_at, attempts.step_seq, attempts.attempt)";

/** How many of the latest ended attempts each index write carries for the step metrics. */
const ATTEMPT_FACTS = 32;

/**
 * A write is due at least every this many ended attempts (besides every change of status), so
 * the facts a write carries always reach back past the previous one's: half of `ATTEMPT_FACTS`.
 */
const ATTEMPTS_PER_WRITE = ATTEMPT_FACTS / 2;

/**
 * One instance's mirror of its engine event stream, in its own SQLite database: the lifecycle,
 * the step log in Cloudflare's shape and the attempts, all derived from the engine's events and
 * nothing else, so any Workflow is seen whole with no code in it. Each event is applied once,
 * in eventId order, in the transaction that advances the cursor; the mirror is rebuilt from the
 * engine's first event when the engine rewrote its history (a restart reuses event ids).
 *
 * The journal never reads the engine itself: a sync (`syncInstance`, in a Worker invocation)
 * asks it where it stands, reads what is new, hands it over chunk by chunk and then lets it
 * index the result, so any number of syncs may run and redeliver without harm. A change of the
 * instance's summary goes to the D1 index: directly when a request waits for it, else through
 * a batching `IndexWriter`. `kick` asks for a sync from an alarm.
 */
export class InstanceJournal extends DurableObject<Env> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    migrateSqlite(ctx.storage, JOURNAL_MIGRATIONS);
  }

  /**
   * Where the mirror stands, for a sync about to read the engine; `fromStart` forgets it all
   * first, as after a restart made through the API. A sync that finds nothing new needs nothing
   * more from the journal.
   */
  begin(target: MirrorTarget, { fromStart = false }: { fromStart?: boolean } = {}): SyncStart {
    this.#target(target);
    if (fromStart) this.ctx.storage.transactionSync(() => this.#startOver());
    const key = this.#summaryKey();
    const row = this.#instance();
    const snapshot = this.snapshot();
    return {
      position: this.#position(),
      finished: isFinished(snapshot.status),
      indexed: row?.cursor === 0 || row?.indexed === key,
      written: row?.cursor === 0 || row?.written === key,
      snapshot,
    };
  }

  /**
   * Applies engine events in order, skipping those at or before the cursor (a redelivery).
   * `rewrittenFrom` says the events are the engine's history read again from its start because
   * the event at that position was gone: the mirror starts over, unless another sync already
   * moved it on from there.
   */
  ingest(target: MirrorTarget, events: WorkflowInstanceEvent[], rewrittenFrom?: StreamPosition): void {
    this.#target(target);
    this.ctx.storage.transactionSync(() => {
      const now = this.#position();
      if (rewrittenFrom && now.cursor === rewrittenFrom.cursor && now.mark === rewrittenFrom.mark) this.#startOver();
      this.#apply(events);
    });
  }

  /** Ends a sync: hands a changed summary to the index, and returns the mirror. */
  async finish({ indexNow = false }: { indexNow?: boolean } = {}): Promise<JournalSnapshot> {
    await this.#index(indexNow);
    return this.snapshot();
  }

  /** Asks for a sync soon, from an alarm, without waiting for it: several asks make one sync. */
  async kick(target: MirrorTarget): Promise<void> {
    this.#target(target);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
  }

  override async alarm(): Promise<void> {
    const row = this.#instance();
    if (row) await this.ctx.exports.MirrorSync.sync({ workflowName: row.workflow_name, instanceId: row.instance_id });
  }

  /**
   * The steps the mirror has seen the instance run, from the step `from` names on (all of them
   * without it, or when the log has no such step): what a restart would run again. The log
   * names a step's `count`-th run `name-count`, as the engine does.
   */
  stepsFrom(from?: RestartFrom): number {
    const type = from?.type === "do" ? "step" : from?.type;
    const start = from
      ? (this.#sql
          .exec<{ seq: number | null }>(
            "SELECT min(seq) AS seq FROM steps WHERE name = ? AND (? IS NULL OR type = ?)",
            `${from.name}-${from.count ?? 1}`,
            type ?? null,
            type ?? null,
          )
          .one().seq ?? 0)
      : 0;
    return this.#sql
      .exec<{ n: number }>(
        "SELECT count(*) AS n FROM steps WHERE seq >= ? AND type NOT IN ('termination', 'rollback')",
        start,
      )
      .one().n;
  }

  /** Bytes this journal's SQLite database takes: what one retained instance costs here. */
  storageBytes(): number {
    return this.ctx.storage.sql.databaseSize;
  }

  snapshot(): JournalSnapshot {
    const row = this.#instance();
    const steps = this.#sql.exec<{ count: number }>("SELECT count(*) AS count FROM steps").one().count;
    return {
      status: this.#status(),
      queuedAt: row?.queued_at ?? null,
      startedAt: row?.started_at ?? null,
      endedAt: row?.ended_at ?? null,
      output: row?.output ?? null,
      error: readStoredJson<ErrorInfo>(row?.error ?? null),
      params: row?.params ?? null,
      rollback: readStoredJson<RollbackOutcome>(row?.rollback ?? null),
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

  /** Forgets the instance (it was deleted, or never existed). */
  async clear(): Promise<void> {
    await this.ctx.storage.deleteAll();
    migrateSqlite(this.ctx.storage, JOURNAL_MIGRATIONS);
  }

  // -------------------------------------------------------------------------------------------
  // The mirror
  // -------------------------------------------------------------------------------------------

  #apply(events: WorkflowInstanceEvent[]): void {
    let { cursor, mark } = this.#position();
    let key = this.#summaryKey();
    let changedAt: number | null = null;
    const fold = new JournalFold(this.#sql);
    for (const event of events) {
      if (event.eventId <= cursor) continue;
      const summaryMayChange = fold.apply(event);
      cursor = event.eventId;
      mark = markOf(event);
      if (summaryMayChange) {
        const next = this.#summaryKey();
        if (next !== key) [key, changedAt] = [next, event.timestamp];
      }
    }
    this.#sql.exec(
      "UPDATE instance SET cursor = ?, cursor_mark = ?, changed_at = coalesce(?, changed_at)",
      cursor,
      mark,
      changedAt,
    );
  }

  /** Forgets everything mirrored, to apply the engine's history again from its first event. */
  #startOver(): void {
    this.#sql.exec("DELETE FROM attempts");
    this.#sql.exec("DELETE FROM steps");
    this.#sql.exec(
      `UPDATE instance SET lifecycle = 'queued', started_at = NULL, ended_at = NULL, output = NULL, error = NULL,
         rollback = NULL, cursor = 0, cursor_mark = NULL`,
    );
  }

  #position(): StreamPosition {
    const row = this.#instance();
    return { cursor: row?.cursor ?? 0, mark: row?.cursor_mark ?? null };
  }

  /** Remembers which instance this journal mirrors, the first time it hears of it. */
  #target({ workflowName, instanceId }: MirrorTarget): void {
    this.#sql.exec(
      "INSERT INTO instance (id, workflow_name, instance_id) VALUES (1, ?, ?) ON CONFLICT DO NOTHING",
      workflowName,
      instanceId,
    );
  }

  #instance(): InstanceRow | undefined {
    return this.#sql.exec<InstanceRow>("SELECT * FROM instance").toArray()[0];
  }

  /** The lifecycle the engine reported, and `waiting` while a running instance sleeps or waits. */
  #status(): InstanceRow["lifecycle"] {
    return (
      this.#sql.exec<{ status: InstanceRow["lifecycle"] }>(`SELECT ${STATUS} AS status FROM instance`).toArray()[0]
        ?.status ?? "queued"
    );
  }

  // -------------------------------------------------------------------------------------------
  // The index
  // -------------------------------------------------------------------------------------------

  /** The parts of the instance the index holds, to tell whether a write is due. */
  #summaryKey(): string {
    const row = this.#sql
      .exec<{ key: string }>(
        `SELECT json_array(${STATUS}, started_at, ended_at, json_extract(error, '$.name'),
          (SELECT count(*) / ${ATTEMPTS_PER_WRITE} FROM attempts WHERE ended_at IS NOT NULL)) AS key FROM instance`,
      )
      .toArray()[0];
    return row?.key ?? JSON.stringify(["queued", null, null, null, null]);
  }

  /**
   * The step attempts that ended last, newest first, for the step metrics: every write carries
   * them, and D1 counts those past the mark it holds, so each is counted once as long as fewer
   * than `ATTEMPT_FACTS` end between two writes that reach it (a write is due every
   * `ATTEMPTS_PER_WRITE`).
   */
  #attemptFacts(): AttemptFact[] {
    return this.#sql
      .exec<{ mark: string; name: string; ok: 0 | 1; start: number | null; end: number }>(
        `SELECT ${ATTEMPT_MARK} AS mark, steps.name AS name, coalesce(attempts.success, 0) AS ok,
           attempts.started_at AS start, attempts.ended_at AS end
         FROM attempts JOIN steps ON steps.seq = attempts.step_seq
         WHERE attempts.ended_at IS NOT NULL
         ORDER BY attempts.ended_at DESC, attempts.step_seq DESC, attempts.attempt DESC LIMIT ?`,
        ATTEMPT_FACTS,
      )
      .toArray()
      .map((fact) => ({
        mark: fact.mark,
        step: stepName(fact.name),
        ok: fact.ok,
        start: fact.start ?? fact.end,
        end: fact.end,
      }));
  }

  /** The step whose failed attempt ended last: what ended an errored run. */
  #failedStep(): string | null {
    const row = this.#sql
      .exec<{ name: string }>(
        `SELECT steps.name AS name FROM attempts JOIN steps ON steps.seq = attempts.step_seq
         WHERE attempts.success = 0 ORDER BY attempts.ended_at DESC LIMIT 1`,
      )
      .toArray()[0];
    return row ? stepName(row.name) : null;
  }

  /**
   * Hands the summary to the index if it changed since it was last handed over, with a new
   * revision, and notes it only once it is safely handed over (written to D1, or queued durably
   * in an IndexWriter), so a failed write is made again by the next sync. `now` writes D1
   * directly unless this very summary was already written so: a summary still queued in an
   * IndexWriter is written once more, so that the request waiting sees it in lists at once.
   * `modified_on` is when the engine's events last changed the summary.
   */
  async #index(now: boolean): Promise<void> {
    const key = this.#summaryKey();
    const row = this.#instance();
    if (!row || row.cursor === 0 || (now ? row.written : row.indexed) === key) return;
    // Revisions follow the clock, so they keep rising past those of a journal that was rebuilt.
    const revision = Math.max(row.revision + 1, Date.now());
    this.#sql.exec("UPDATE instance SET revision = ?", revision);
    const error = readStoredJson<ErrorInfo>(row.error);
    const update: SummaryUpdate = {
      workflowName: row.workflow_name,
      instanceId: row.instance_id,
      revision,
      status: this.#status(),
      startedOn: row.started_at,
      endedOn: row.ended_at,
      errorName: error?.name ?? null,
      errorShape: error ? errorShape(error.message) : null,
      failedStep: error ? this.#failedStep() : null,
      attempts: this.#attemptFacts(),
      at: row.changed_at ?? row.queued_at ?? Date.now(),
      createdOn: row.queued_at ?? Date.now(),
      triggerSource: "unknown",
      params: row.params,
    };
    if (now) {
      await writeToIndex(createDb(this.env.DB), createIndexAccess(this.env), [update]);
      this.#sql.exec("UPDATE instance SET indexed = ?, written = ?", key, key);
    } else {
      await indexWriterFor(this.env, update).enqueue([update]);
      this.#sql.exec("UPDATE instance SET indexed = ?", key);
    }
  }
}
