import { DurableObject } from "cloudflare:workers";
import { createDb } from "../db/client";
import { readStoredJson } from "../lib/json";
import { migrateSqlite } from "../lib/sqlite-schema";
import { mergeAttemptFacts, type SummaryUpdate } from "./summaries";
import { createIndexAccess, writeToIndex } from "./workflow-index";

/** The writer's SQLite schema, one migration per version (see `migrateSqlite`). */
const MIGRATIONS = [
  "CREATE TABLE IF NOT EXISTS pending (key TEXT PRIMARY KEY, revision INTEGER NOT NULL, summary TEXT NOT NULL)",
];

/** How many writers share the index's report traffic; each commits in batches. */
const INDEX_WRITER_SHARDS = 16;

/** How long a summary may wait to be batched with others: the index lags reports by about this. */
const FLUSH_DELAY_MS = 100;

/** Summaries per flush. */
export const FLUSH_BATCH = 100;

/**
 * Group commit for the workflows' indexes. Journals hand their summary changes to one of
 * `INDEX_WRITER_SHARDS` writers; each keeps them in SQLite (the latest per instance wins, with
 * the step attempts of the ones it replaced) and sends them on in batches from an alarm: one
 * D1 read for the workflows' configs, then one request per segment. A segment so sees a few
 * requests a second from each writer however many step events its instances have, which keeps
 * it far under a Durable Object's request limit. A failed flush throws, and the alarm is retried.
 */
export class IndexWriter extends DurableObject<Env> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    migrateSqlite(ctx.storage, MIGRATIONS);
  }

  async enqueue(updates: SummaryUpdate[]): Promise<void> {
    for (const update of updates) {
      const key = `${update.workflowName}/${update.instanceId}`;
      const [pending] = this.#sql.exec<{ summary: string }>("SELECT summary FROM pending WHERE key = ?", key).toArray();
      const queued = pending ? readStoredJson<SummaryUpdate>(pending.summary) : null;
      // The latest summary wins, but the step attempts of both go: a summary replaced before it
      // reached D1 must not take the attempts only it carried with it (D1 counts each once).
      const latest = queued && queued.revision > update.revision ? queued : update;
      const merged = { ...latest, attempts: mergeAttemptFacts(queued?.attempts, update.attempts) };
      this.#sql.exec(
        `INSERT INTO pending (key, revision, summary) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET revision = excluded.revision, summary = excluded.summary`,
        key,
        merged.revision,
        JSON.stringify(merged),
      );
    }
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + FLUSH_DELAY_MS);
    }
  }

  /** Writes one batch of pending summaries to D1; returns how many. */
  async flush(): Promise<number> {
    const rows = this.#sql
      .exec<{ key: string; revision: number; summary: string }>(
        "SELECT key, revision, summary FROM pending ORDER BY rowid LIMIT ?",
        FLUSH_BATCH,
      )
      .toArray();
    if (rows.length === 0) return 0;
    await writeToIndex(
      createDb(this.env.DB),
      createIndexAccess(this.env),
      rows.map((row) => readStoredJson<SummaryUpdate>(row.summary)),
    );
    // A newer summary that arrived during the write stays for the next batch.
    for (const row of rows) {
      this.#sql.exec("DELETE FROM pending WHERE key = ? AND revision = ?", row.key, row.revision);
    }
    return rows.length;
  }

  /** How many summaries wait to be written. */
  pendingCount(): number {
    return this.#sql.exec<{ n: number }>("SELECT count(*) AS n FROM pending").one().n;
  }

  override async alarm(): Promise<void> {
    await this.flush();
    if (this.pendingCount() > 0) await this.ctx.storage.setAlarm(Date.now());
  }
}

/** The writer a journal's summaries go through, chosen by a hash of the instance. */
export function indexWriterFor(env: Env, update: Pick<SummaryUpdate, "workflowName" | "instanceId">) {
  return env.INDEX_WRITER.getByName(`shard-${shardOf(`${update.workflowName}/${update.instanceId}`)}`);
}

/** FNV-1a: a stable, even spread of keys over the shards. */
function shardOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % INDEX_WRITER_SHARDS;
}
