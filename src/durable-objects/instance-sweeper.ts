import { DurableObject } from "cloudflare:workers";
import { errorInfo } from "../domain/errors";
import { durationToMs } from "../lib/time";
import type { SweepPosition, SweepResult } from "../services/instances/sweep";
import { migrateSqlite } from "./sqlite-schema";

/** Between sweeps when `SWEEP_INTERVAL` is missing or not a duration. */
const DEFAULT_INTERVAL_MS = 60_000;

const MIGRATIONS = [
  `CREATE TABLE round (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    workflow_id TEXT NOT NULL,
    created_on INTEGER NOT NULL,
    instance_id TEXT NOT NULL
  )`,
];

/**
 * The one sweeper (named "sweeper"): from an alarm every `SWEEP_INTERVAL`, it has the journals
 * of the next `SWEEP_BATCH` unfinished instances of its round synced (through `MirrorSync`, where
 * the engine is read), so that lists and counts follow
 * the engine without anyone reading by id, with no subscription held open in between. With U
 * unfinished instances, each is synced at least every ⌈U / SWEEP_BATCH⌉ intervals. The cron
 * trigger and the first request an isolate serves start it; it keeps itself going after that.
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
    const result = await this.ctx.exports.MirrorSync.sweep(this.#position());
    this.#keep(result.next);
    return result;
  }

  override async alarm(): Promise<void> {
    try {
      await this.sweep();
    } catch (error) {
      console.error(JSON.stringify({ level: "error", message: "sweep failed", error: errorInfo(error) }));
    }
    await this.ctx.storage.setAlarm(Date.now() + intervalMs(this.env.SWEEP_INTERVAL));
  }

  #position(): SweepPosition | null {
    const row = this.#sql
      .exec<{ workflow_id: string; created_on: number; instance_id: string }>("SELECT * FROM round")
      .toArray()[0];
    return row ? { workflowId: row.workflow_id, createdOn: row.created_on, id: row.instance_id } : null;
  }

  #keep(next: SweepPosition | null): void {
    if (!next) {
      this.#sql.exec("DELETE FROM round");
      return;
    }
    this.#sql.exec(
      `INSERT INTO round (id, workflow_id, created_on, instance_id) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET workflow_id = excluded.workflow_id, created_on = excluded.created_on,
         instance_id = excluded.instance_id`,
      next.workflowId,
      next.createdOn,
      next.id,
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
