import { DurableObject } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { chunk, createDb } from "../../db/client";
import { type BulkAction, type BulkJobKind, type BulkJobStatus, bulkJobs } from "../../db/schema";
import type { BulkFilter, BulkJobSpec, BulkJobView, BulkOptions, BulkResult, ItemOutcome } from "../../domain/bulk";
import type { ErrorInfo } from "../../domain/errors";
import type { InstanceStatus } from "../../domain/instance-status";
import type { IndexAddress } from "../../index/config";
import { forEachConcurrently } from "../../lib/concurrency";
import { readStoredJson } from "../../lib/json";
import { migrateSqlite } from "../../lib/sqlite-schema";
import { toIso } from "../../lib/time";
import { createDeps, type Deps } from "../deps";
import { addressByName, applyToInstance, type ItemResult, indexedStatuses } from "./apply";

/** Items read from the ledger at a time while an alarm works. */
const CHUNK = 100;
/**
 * How long one alarm takes on new items. A cancel takes effect at the next item; reads of the
 * job wait for the alarm to end, so this bounds how stale a progress view can be.
 */
const ALARM_BUDGET_MS = 5_000;
/** Instances acted on at once. */
export const BULK_CONCURRENCY = 25;
/** Attempts of an item before a transient failure becomes its outcome. */
const MAX_ATTEMPTS = 5;
/** A job never sealed by its creator (the request died) fails after this long. */
const ACCEPT_TIMEOUT_MS = 5 * 60_000;
/** Instances the follow-up syncs per alarm, in groups of `FOLLOW_GROUP` (one invocation each). */
const FOLLOW_BATCH = 200;
const FOLLOW_GROUP = 50;

type JobRow = {
  id: string;
  workflow_name: string;
  kind: BulkJobKind;
  action: BulkAction;
  status: BulkJobStatus;
  options: string | null;
  filter: string | null;
  sealed: number;
  cancel_requested: number;
  created_on: number;
  started_on: number | null;
  ended_on: number | null;
  followed_through: number;
};

type ItemRow = {
  seq: number;
  instance_id: string;
  outcome: Exclude<ItemOutcome, "pending"> | null;
  reason: string | null;
  error: string | null;
  status_before: InstanceStatus | null;
  status_after: InstanceStatus | null;
  attempts: number;
  in_flight: number;
  attempted_at: number | null;
};

/** The job's SQLite schema, one migration per version (see `migrateSqlite`). */
const MIGRATIONS = [
  `
  CREATE TABLE IF NOT EXISTS job (
    id TEXT PRIMARY KEY,
    workflow_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    filter TEXT,
    sealed INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_on INTEGER NOT NULL,
    started_on INTEGER,
    ended_on INTEGER
  );
  CREATE TABLE IF NOT EXISTS items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL UNIQUE,
    outcome TEXT,
    reason TEXT,
    error TEXT,
    status_before TEXT,
    status_after TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    in_flight INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX IF NOT EXISTS items_by_outcome ON items (outcome, seq);
`,
  // v2: what the action takes beyond its name, and when each item's last attempt began.
  `
  ALTER TABLE job ADD COLUMN options TEXT;
  ALTER TABLE items ADD COLUMN attempted_at INTEGER;
`,
  // v3: how far the follow-up has synced the instances acted on (an item seq).
  "ALTER TABLE job ADD COLUMN followed_through INTEGER NOT NULL DEFAULT 0",
];

/**
 * One bulk job: its frozen target list and its ledger, in SQLite, worked through from alarms a
 * chunk at a time. Each item ends in exactly one outcome; an item interrupted mid-action (an
 * eviction, a killed process) is retried, and the retry recognises an action already taken.
 * Only one chunk of ids is ever in memory, whatever the job's size.
 *
 * The job makes only the engine calls an action needs while it acts. Once every item has its
 * outcome, a follow-up has the instances it acted on synced (their journals and index rows), a
 * batch per alarm: so the sync work never slows the action down, and lists catch up right after
 * the job, where Event Subscriptions or the sweep would take longer.
 */
export class BulkJob extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  /** Set by `erase`, so a chunk in flight meanwhile writes nothing and schedules nothing. */
  #erased = false;
  /** While an alarm runs, which always sets the next one if the job goes on. */
  #inAlarm = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    migrateSqlite(ctx.storage, MIGRATIONS);
  }

  /** Creates the job, not yet sealed: targets are appended next. */
  init(spec: BulkJobSpec): void {
    this.#sql.exec(
      `INSERT INTO job (id, workflow_name, kind, action, options, status, filter, created_on)
       VALUES (?, ?, ?, ?, ?, 'queued', ?, ?) ON CONFLICT DO NOTHING`,
      spec.id,
      spec.workflowName,
      spec.kind,
      spec.action,
      spec.options ? JSON.stringify(spec.options) : null,
      spec.filter ? JSON.stringify(spec.filter) : null,
      spec.createdOn,
    );
  }

  /** Adds targets (a repeated id counts once); returns how many the job has. */
  append(instanceIds: string[]): number {
    this.ctx.storage.transactionSync(() => {
      for (const id of instanceIds)
        this.#sql.exec("INSERT INTO items (instance_id) VALUES (?) ON CONFLICT DO NOTHING", id);
    });
    return this.#count("1 = 1");
  }

  /** Freezes the targets and starts working; returns the job. */
  async start(): Promise<BulkJobView> {
    this.#sql.exec("UPDATE job SET sealed = 1");
    await this.ctx.storage.setAlarm(Date.now());
    return this.view();
  }

  /** The job's progress. Re-arms the alarm of an active job, should it ever have been lost. */
  async view(): Promise<BulkJobView> {
    const job = this.#job();
    if (
      job.sealed &&
      !this.#inAlarm &&
      (job.status === "queued" || job.status === "running") &&
      (await this.ctx.storage.getAlarm()) === null
    ) {
      await this.ctx.storage.setAlarm(Date.now());
    }
    return this.#view(job);
  }

  /** A page of the ledger, in target order, optionally of one outcome. */
  results({ outcome, after, limit }: { outcome?: ItemOutcome | undefined; after: number; limit: number }) {
    const where = outcome === undefined ? "1 = 1" : outcome === "pending" ? "outcome IS NULL" : "outcome = ?";
    const bindings = outcome === undefined || outcome === "pending" ? [] : [outcome];
    const rows = this.#sql
      .exec<ItemRow>(
        `SELECT * FROM items WHERE ${where} AND seq > ? ORDER BY seq LIMIT ?`,
        ...bindings,
        after,
        limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit);
    const results: BulkResult[] = page.map((row) => ({
      instance_id: row.instance_id,
      outcome: row.outcome ?? "pending",
      reason: row.reason,
      error: readStoredJson<ErrorInfo>(row.error),
      status_before: row.status_before,
      status_after: row.status_after,
      attempts: row.attempts,
    }));
    return {
      results,
      next: rows.length > limit ? (page.at(-1)?.seq ?? null) : null,
      total: this.#count(where, ...bindings),
    };
  }

  /**
   * Drops the ledger rows of instances that expired (the engine has forgotten them too); an
   * item still pending stays, to be settled.
   */
  forget(instanceIds: string[]): void {
    this.ctx.storage.transactionSync(() => {
      for (const id of instanceIds)
        this.#sql.exec("DELETE FROM items WHERE instance_id = ? AND outcome IS NOT NULL", id);
    });
  }

  /** Erases the job, targets, ledger and alarm: its retention has ended. */
  async erase(): Promise<void> {
    this.#erased = true;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  /** Stops the job before its next chunk; what is left is skipped as cancelled. */
  async cancel(): Promise<BulkJobView> {
    this.#sql.exec("UPDATE job SET cancel_requested = 1 WHERE status IN ('queued', 'running')");
    await this.ctx.storage.setAlarm(Date.now());
    return this.view();
  }

  override async alarm(): Promise<void> {
    this.#inAlarm = true;
    try {
      await this.#step();
    } finally {
      this.#inAlarm = false;
    }
  }

  /** One alarm's work: the follow-up of a job over, or the next due items of one under way. */
  async #step(): Promise<void> {
    // Erased (its storage gone, or empty again in a later incarnation): nothing is left to do.
    const job = this.#erased ? undefined : this.#sql.exec<JobRow>("SELECT * FROM job").toArray()[0];
    if (!job) return;
    if (job.status !== "queued" && job.status !== "running") {
      await this.#followUp(job);
      return;
    }
    if (!job.sealed) {
      if (Date.now() - job.created_on > ACCEPT_TIMEOUT_MS) await this.#finish("failed");
      else await this.ctx.storage.setAlarm(Date.now() + ACCEPT_TIMEOUT_MS);
      return;
    }
    if (job.cancel_requested) {
      this.#sql.exec("UPDATE items SET outcome = 'skipped', reason = 'job cancelled' WHERE outcome IS NULL");
      await this.#finish("cancelled");
      return;
    }
    if (job.status === "queued") {
      const startedOn = Date.now();
      await this.#syncIndexRow("running", null);
      this.#sql.exec("UPDATE job SET status = 'running', started_on = ?", startedOn);
    }
    const options = readStoredJson<BulkOptions>(job.options) ?? {};
    // Paced, an alarm acts on at most a second's worth, and the next one waits out its second.
    const pace = options.max_per_second;
    const started = Date.now();
    const worked = await this.#work(job, options, pace ?? Number.POSITIVE_INFINITY, started + ALARM_BUDGET_MS);
    if (this.#erased) return;
    const next = this.#sql
      .exec<{ at: number | null }>("SELECT min(next_attempt_at) AS at FROM items WHERE outcome IS NULL")
      .one().at;
    if (next === null) await this.#finish("complete");
    else if (worked > 0) await this.ctx.storage.setAlarm(pace ? started + (worked * 1000) / pace : Date.now());
    else await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
  }

  /**
   * Acts on due items, `BULK_CONCURRENCY` at once, until `limit` were taken, `until` passed, or
   * a cancel came; returns how many were worked. Items are marked before their actions go out
   * and recorded after (the object's writes are durable before its next call leaves), in
   * groups: after a crash only the marked items not yet recorded are in doubt, and their retry
   * tells what took effect. A restart or an event cannot be told so, and must not be repeated:
   * for those the group is one item, so at most BULK_CONCURRENCY are in doubt. Every other
   * action is recognised by its effect, and writing its ledger a chunk at a time spares the
   * engine calls most of the wait for the writes.
   */
  async #work(job: JobRow, options: BulkOptions, limit: number, until: number): Promise<number> {
    const deps = createDeps(this.env, this.ctx);
    const bound = deps.engines.bindingFor(job.workflow_name);
    const group = job.action === "restart" || job.action === "send_event" ? 1 : CHUNK;
    const done: [ItemRow, ItemResult][] = [];
    let worked = 0;
    const due = this.#due(deps, job, { limit, until, group });
    await forEachConcurrently(due, BULK_CONCURRENCY, async ({ item, indexedStatus }) => {
      const result: ItemResult = bound
        ? await applyToInstance(deps, bound.engine, {
            workflowName: job.workflow_name,
            action: job.action,
            options,
            instanceId: item.instance_id,
            indexedStatus,
            // When the attempt cut short began: its action may have been taken since.
            interruptedAt: item.in_flight === 1 ? (item.attempted_at ?? 0) : null,
          })
        : {
            outcome: "failed",
            error: { name: "Error", message: "the workflow has no binding in this deployment" },
            before: null,
          };
      done.push([item, result]);
      worked++;
      if (done.length >= group) this.#recordAll(done.splice(0));
    });
    this.#recordAll(done);
    return worked;
  }

  /**
   * The due items in ledger order, read a chunk at a time as the workers take them and marked
   * `group` at a time; a marked group is handed out whole. A terminate does not read the
   * engine's status first, so each chunk's index statuses come along.
   */
  async *#due(
    deps: Deps,
    job: JobRow,
    { limit, until, group }: { limit: number; until: number; group: number },
  ): AsyncGenerator<{ item: ItemRow; indexedStatus: InstanceStatus | null }> {
    let after = 0;
    let taken = 0;
    let address: IndexAddress | null | undefined;
    while (taken < limit) {
      const items = this.#sql
        .exec<ItemRow>(
          "SELECT * FROM items WHERE outcome IS NULL AND next_attempt_at <= ? AND seq > ? ORDER BY seq LIMIT ?",
          Date.now(),
          after,
          Math.min(CHUNK, limit - taken),
        )
        .toArray();
      if (items.length === 0) return;
      if (job.action === "terminate" && address === undefined)
        address = await addressByName(deps.db, job.workflow_name);
      const indexed = address
        ? await indexedStatuses(
            deps.index,
            address,
            items.map((item) => item.instance_id),
          )
        : undefined;
      for (let start = 0; start < items.length; start += group) {
        if (this.#erased || Date.now() >= until || this.#cancelRequested()) return;
        const marked = items.slice(start, start + group);
        this.#mark(marked);
        for (const item of marked) {
          if (this.#erased) return;
          taken++;
          after = item.seq;
          yield { item, indexedStatus: indexed?.get(item.instance_id) ?? null };
        }
      }
    }
  }

  #mark(items: ItemRow[]): void {
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      for (const item of items) {
        this.#sql.exec(
          "UPDATE items SET in_flight = 1, attempts = attempts + 1, attempted_at = ? WHERE seq = ?",
          now,
          item.seq,
        );
      }
    });
  }

  #recordAll(results: [ItemRow, ItemResult][]): void {
    if (this.#erased || results.length === 0) return;
    this.ctx.storage.transactionSync(() => {
      for (const [item, result] of results) this.#record(item, result);
    });
  }

  #cancelRequested(): boolean {
    return (
      this.#sql.exec<{ cancel_requested: number }>("SELECT cancel_requested FROM job").one().cancel_requested === 1
    );
  }

  #record(item: ItemRow, result: ItemResult): void {
    const attempts = item.attempts + 1;
    if (result.outcome === "retry" && attempts < MAX_ATTEMPTS) {
      this.#sql.exec(
        "UPDATE items SET in_flight = 0, next_attempt_at = ?, error = ?, status_before = ? WHERE seq = ?",
        Date.now() + 1000 * 2 ** (attempts - 1),
        JSON.stringify(result.error),
        result.before,
        item.seq,
      );
      return;
    }
    if (result.outcome === "retry" || result.outcome === "failed") {
      this.#sql.exec(
        "UPDATE items SET outcome = 'failed', in_flight = 0, error = ?, status_before = ? WHERE seq = ?",
        JSON.stringify(result.error),
        result.before,
        item.seq,
      );
      return;
    }
    this.#sql.exec(
      "UPDATE items SET outcome = ?, in_flight = 0, reason = ?, error = NULL, status_before = ?, status_after = ? WHERE seq = ?",
      result.outcome,
      result.reason,
      result.before,
      result.after,
      item.seq,
    );
  }

  async #finish(status: Extract<BulkJobStatus, "complete" | "cancelled" | "failed">): Promise<void> {
    const endedOn = Date.now();
    await this.#syncIndexRow(status, endedOn);
    this.#sql.exec("UPDATE job SET status = ?, ended_on = ?", status, endedOn);
    if (this.#job().action !== "delete" && this.#toFollow(0).length > 0) await this.ctx.storage.setAlarm(Date.now());
  }

  /**
   * Syncs the next batch of instances the job acted on (succeeded, or failed after an attempt
   * that may have reached the engine), and asks for the next alarm while some are left. A
   * deleted instance has nothing left to sync.
   */
  async #followUp(job: JobRow): Promise<void> {
    const batch = job.action === "delete" ? [] : this.#toFollow(job.followed_through);
    const last = batch.at(-1);
    if (!last) return;
    const targets = batch.map((item) => ({ workflowName: job.workflow_name, instanceId: item.instance_id }));
    await Promise.all(chunk(targets, FOLLOW_GROUP).map((group) => this.ctx.exports.MirrorSync.syncAll(group)));
    if (this.#erased) return;
    this.#sql.exec("UPDATE job SET followed_through = ?", last.seq);
    if (batch.length === FOLLOW_BATCH) await this.ctx.storage.setAlarm(Date.now());
  }

  #toFollow(after: number): Pick<ItemRow, "seq" | "instance_id">[] {
    return this.#sql
      .exec<Pick<ItemRow, "seq" | "instance_id">>(
        `SELECT seq, instance_id FROM items WHERE seq > ? AND outcome IN ('succeeded', 'failed') AND attempts > 0
         ORDER BY seq LIMIT ?`,
        after,
        FOLLOW_BATCH,
      )
      .toArray();
  }

  /**
   * The job's row in D1, which lists and the one-terminate-all rule read. Written before the
   * job's own status moves: should it fail, the alarm is retried and finds the same step to
   * take again, where a job already over in SQLite would leave D1 saying running for good.
   */
  async #syncIndexRow(status: BulkJobStatus, endedOn: number | null): Promise<void> {
    const job = this.#job();
    await createDb(this.env.DB)
      .update(bulkJobs)
      .set({ status, total: this.#count("1 = 1"), endedOn: endedOn === null ? null : new Date(endedOn) })
      .where(eq(bulkJobs.id, job.id));
  }

  #job(): JobRow {
    return this.#sql.exec<JobRow>("SELECT * FROM job").one();
  }

  #count(where: string, ...bindings: string[]): number {
    return this.#sql.exec<{ n: number }>(`SELECT count(*) AS n FROM items WHERE ${where}`, ...bindings).one().n;
  }

  #view(job: JobRow): BulkJobView {
    const counts = Object.fromEntries(
      this.#sql
        .exec<{ outcome: string | null; n: number }>("SELECT outcome, count(*) AS n FROM items GROUP BY outcome")
        .toArray()
        .map((row) => [row.outcome ?? "pending", row.n]),
    );
    const filter = readStoredJson<BulkFilter>(job.filter);
    const total = (counts.succeeded ?? 0) + (counts.skipped ?? 0) + (counts.failed ?? 0) + (counts.pending ?? 0);
    return {
      id: job.id,
      workflow_name: job.workflow_name,
      kind: job.kind,
      action: job.action,
      options: readStoredJson<BulkOptions>(job.options),
      status: job.status,
      total,
      succeeded: counts.succeeded ?? 0,
      skipped: counts.skipped ?? 0,
      failed: counts.failed ?? 0,
      pending: counts.pending ?? 0,
      created_on: new Date(job.created_on).toISOString(),
      started_on: toIso(job.started_on),
      ended_on: toIso(job.ended_on),
      filter,
      ids_count: filter === null ? total : null,
    };
  }
}
