/**
 * The index segment the bench Worker binds: the production `IndexSegment` plus what only the
 * benchmarks call, seeding rows through the segment's own tables and triggers, the query plans of
 * the statements a read really ran, and dropping triggers to measure what they cost.
 */

import { INSTANCE_STATUSES, TRIGGER_SOURCES } from "../src/domain/instance-status";
import type { SegmentConfig } from "../src/index/config";
import { IndexSegment as ProductionIndexSegment } from "../src/index/segment";

/** What one seed call writes into one segment (row numbers are the workflow's, not the segment's). */
export type SegmentSeed = {
  from: number;
  count: number;
  startMs: number;
  stepMs: number;
  /** Give each row 5 labels: tenant (1,000 values), region (5), plan (3), channel (4), batch (50). */
  labels?: boolean | undefined;
  /**
   * Rows as the journal writes instances it has followed to their end (revision 1, started, and
   * 70% complete, 20% errored, 10% terminated, after up to 5 minutes), so the metrics count them.
   */
  finished?: boolean | undefined;
  /** The segment's end once the seed fills its span: instances created from then on are the next's. */
  endsOn?: number | null | undefined;
};

type Statement = { sql: string; params: SqlStorageValue[] };
export type ExplainedStatement = Statement & { plan: string[] };

const SEED_LABELS = `json_object(
  'tenant', 'tenant-' || printf('%04d', n % 1000),
  'region', json_extract('["eu","us","apac","sam","afr"]', '$[' || (n % 5) || ']'),
  'plan', json_extract('["free","pro","enterprise"]', '$[' || (n % 3) || ']'),
  'channel', json_extract('["web","api","batch","partner"]', '$[' || (n % 4) || ']'),
  'batch', 'b-' || (n % 50))`;

const SERIES = "WITH RECURSIVE series(n) AS (SELECT CAST(? AS INTEGER) UNION ALL SELECT n + 1 FROM series WHERE n < ?)";

/** Statements that change the schema or write: never explained, never recorded. */
const READS = /^\s*(select|with)\b/i;

export class IndexSegment extends ProductionIndexSegment {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    // Every statement the production code runs goes through `ctx.storage.sql.exec`; the bench
    // copy records reads while asked to, so a read's plans are the plans of what it ran.
    const sql = ctx.storage.sql;
    const exec = sql.exec.bind(sql);
    const recording: { into: Statement[] | null } = { into: null };
    const traced = new Proxy(sql, {
      get(target, key) {
        if (key === "exec") {
          return (query: string, ...params: SqlStorageValue[]) => {
            if (recording.into && READS.test(query)) recording.into.push({ sql: query, params });
            return exec(query, ...params);
          };
        }
        const value: unknown = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    Object.defineProperty(ctx.storage, "sql", { value: traced, configurable: true });
    super(ctx, env);
    this.#sql = sql;
    this.#recording = recording;
  }

  readonly #recording: { into: Statement[] | null };

  /**
   * Inserts `count` rows numbered from `from` through one INSERT … SELECT over a generated
   * series, every trigger firing as on any write: created `stepMs` apart from `startMs`,
   * statuses, versions and trigger sources spread evenly.
   */
  async seed(config: SegmentConfig, seed: SegmentSeed): Promise<{ inserted: number }> {
    const { from, count, startMs, stepMs, labels, finished, endsOn } = seed;
    const last = from + count - 1;
    // The config goes in as a writer's does, so the segment knows what it stored.
    await this.write(config, [], Number.MAX_SAFE_INTEGER);
    this.ctx.storage.transactionSync(() => {
      if (finished) {
        this.#sql.exec(
          `INSERT INTO instances (id, version_id, status, trigger_source, params, created_on, started_on, ended_on,
             modified_on, error_name, error_shape, revision)
           ${SERIES}, timed AS (
             SELECT n, ? + n * ? AS created,
               CASE WHEN n % 10 < 7 THEN 'complete' WHEN n % 10 < 9 THEN 'errored' ELSE 'terminated' END AS status
             FROM series
           )
           SELECT 'seed-' || printf('%08d', n), CASE WHEN n % 4 = 0 THEN 'v-old' ELSE ? END,
             status, 'api', NULL, created, created + 500, created + 600 + (n * 7919) % 300000,
             created + 600 + (n * 7919) % 300000,
             CASE WHEN status = 'errored' THEN 'Error' END,
             CASE WHEN status = 'errored' THEN (CASE WHEN n % 2 = 0 THEN 'card <n> declined' ELSE 'timeout after <n> ms' END) END,
             1
           FROM timed`,
          from,
          last,
          startMs,
          stepMs,
          config.versionId,
        );
      } else {
        this.#sql.exec(
          `INSERT INTO instances (id, version_id, status, trigger_source, params, created_on, started_on, ended_on,
             modified_on, error_name, revision, labels)
           ${SERIES}
           SELECT 'seed-' || printf('%08d', n), CASE WHEN n % 4 = 0 THEN 'v-old' ELSE ? END,
             json_extract(?, '$[' || (n % ${INSTANCE_STATUSES.length}) || ']'),
             json_extract(?, '$[' || (n % ${TRIGGER_SOURCES.length}) || ']'), NULL,
             ? + n * ?, ? + n * ?, NULL, ? + n * ?,
             CASE WHEN n % 9 = 3 THEN 'Error' END, 0, ${labels ? SEED_LABELS : "NULL"}
           FROM series`,
          from,
          last,
          config.versionId,
          JSON.stringify(INSTANCE_STATUSES),
          JSON.stringify(TRIGGER_SOURCES),
          startMs,
          stepMs,
          startMs,
          stepMs,
          startMs,
          stepMs,
        );
      }
      if (endsOn !== undefined && endsOn !== null)
        this.#sql.exec("UPDATE index_config SET ends_on = ? WHERE id = 1", endsOn);
    });
    return { inserted: count };
  }

  /** Records the reads the segment runs from now until `explainRecorded`. */
  async record(): Promise<void> {
    this.#recording.into = [];
  }

  /** The query plans of the reads recorded since `record`, each once; stops recording. */
  async explainRecorded(): Promise<ExplainedStatement[]> {
    const recorded = this.#recording.into ?? [];
    this.#recording.into = null;
    const seen = new Set<string>();
    return recorded.flatMap((statement) => {
      if (seen.has(statement.sql)) return [];
      seen.add(statement.sql);
      const plan = this.#sql
        .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${statement.sql}`, ...statement.params)
        .toArray()
        .map((step) => step.detail);
      return [{ ...statement, plan }];
    });
  }

  /** Drops these triggers; answers their SQL so `restoreTriggers` can put them back. */
  async dropTriggers(names: string[]): Promise<string[]> {
    const kept = this.#sql
      .exec<{ sql: string }>(
        `SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN (${names.map(() => "?").join(", ")})`,
        ...names,
      )
      .toArray()
      .map((row) => row.sql);
    for (const name of names) this.#sql.exec(`DROP TRIGGER IF EXISTS ${name}`);
    return kept;
  }

  async restoreTriggers(statements: string[]): Promise<void> {
    for (const statement of statements) this.#sql.exec(statement);
  }
}
