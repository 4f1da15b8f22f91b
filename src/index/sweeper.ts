import { DurableObject } from "cloudflare:workers";
import { chunk } from "../db/client";
import { errorInfo } from "../domain/errors";
import { migrateSqlite } from "../lib/sqlite-schema";
import { durationToMs } from "../lib/time";
import { createDeps } from "../services/deps";
import { nextUnfinished, type SweepPosition, type SyncedGroup } from "../services/instances/sweep";
import { type RetentionPass, retentionPass } from "../services/retention/pass";

/** Unfinished instances one sweep syncs at most. */
const SWEEP_BATCH = 500;
/**
 * A sweep's instances go to `MirrorSync` in groups this size, all groups at once, and each group
 * syncs all its instances at once: an invocation of its own, so no invocation makes more than a
 * few hundred calls or holds more than this many streams open.
 */
const SWEEP_GROUP = 50;

/** Between the starts of two sweeps when `SWEEP_INTERVAL` is missing or not a duration. */
const DEFAULT_INTERVAL_MS = 60_000;

const MIGRATIONS = [
  `CREATE TABLE round (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    workflow_id TEXT NOT NULL,
    created_on INTEGER NOT NULL,
    instance_id TEXT NOT NULL
  )`,
];

export type SweepResult = SyncedGroup & { roundEnded: boolean };

/**
 * The one sweeper (named "sweeper"): a sweep starts every `SWEEP_INTERVAL` (or as soon as the
 * previous one ended, when it took longer) from its alarm and has the journals of the next
 * `SWEEP_BATCH` unfinished instances of its round synced, through `MirrorSync`, where the engine
 * is read; so lists and counts follow the engine without anyone reading by id, and nothing
 * stays subscribed in between. With U unfinished instances, each is synced at least every
 * ⌈U / SWEEP_BATCH⌉ sweeps. After each sweep it runs a retention pass (expired instances, old
 * bulk jobs and audit records). The cron trigger and the first request an isolate serves start
 * it; it keeps itself going after that.
 */
export class InstanceSweeper extends DurableObject<Env> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    migrateSqlite(ctx.storage, MIGRATIONS);
  }

  /** Starts the sweeps if they are not running. */
  async start(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
  }

  /** One sweep, now: the next batch of the round. */
  async sweep(): Promise<SweepResult> {
    const entries = await nextUnfinished(createDeps(this.env, this.ctx), this.#position(), SWEEP_BATCH);
    const groups = await Promise.all(
      chunk(entries, SWEEP_GROUP).map(async (group): Promise<SyncedGroup> => {
        try {
          return await this.ctx.exports.MirrorSync.syncGroup(group);
        } catch (error) {
          // The round moves on all the same: the next round tries these instances again.
          console.error(JSON.stringify({ level: "error", message: "a sweep group failed", error: errorInfo(error) }));
          return { synced: 0, dropped: 0, failed: group.length };
        }
      }),
    );
    const roundEnded = entries.length < SWEEP_BATCH;
    this.#keep(roundEnded ? null : (entries.at(-1) ?? null));
    const total: SweepResult = { synced: 0, dropped: 0, failed: 0, roundEnded };
    for (const group of groups) {
      total.synced += group.synced;
      total.dropped += group.dropped;
      total.failed += group.failed;
    }
    return total;
  }

  /** What retention removes now: expired instances, then the control plane's own old records. */
  async expire(): Promise<RetentionPass> {
    return retentionPass(createDeps(this.env, this.ctx));
  }

  override async alarm(): Promise<void> {
    const started = Date.now();
    try {
      await this.sweep();
    } catch (error) {
      console.error(JSON.stringify({ level: "error", message: "sweep failed", error: errorInfo(error) }));
    }
    try {
      await this.expire();
    } catch (error) {
      console.error(JSON.stringify({ level: "error", message: "retention pass failed", error: errorInfo(error) }));
    }
    await this.ctx.storage.setAlarm(Math.max(Date.now(), started + intervalMs(this.env.SWEEP_INTERVAL)));
  }

  #position(): SweepPosition | null {
    const row = this.#sql
      .exec<{ workflow_id: string; created_on: number; instance_id: string }>("SELECT * FROM round")
      .toArray()[0];
    return row ? { workflowId: row.workflow_id, createdOn: row.created_on, id: row.instance_id } : null;
  }

  #keep(last: SweepPosition | null): void {
    if (!last) {
      this.#sql.exec("DELETE FROM round");
      return;
    }
    this.#sql.exec(
      `INSERT INTO round (id, workflow_id, created_on, instance_id) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET workflow_id = excluded.workflow_id, created_on = excluded.created_on,
         instance_id = excluded.instance_id`,
      last.workflowId,
      last.createdOn,
      last.id,
    );
  }
}

function intervalMs(setting: string | undefined): number {
  try {
    return setting ? durationToMs(setting) : DEFAULT_INTERVAL_MS;
  } catch {
    return DEFAULT_INTERVAL_MS;
  }
}
