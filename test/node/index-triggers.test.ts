/**
 * The index segment's migrations (src/index/migrations) applied to a real SQLite (node:sqlite),
 * and its triggers driven by the writes the index sees: the proof that they keep counts, labels,
 * expiry and metrics as the D1 index's triggers did.
 */
import { readFileSync } from "node:fs";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { INSTANCE_STATUSES } from "../../src/domain/instance-status.ts";
import { MAX_LABEL_VALUE_LENGTH, MAX_LABELS } from "../../src/domain/labels.ts";
import { binOf, METRIC_BUCKET_MS } from "../../src/domain/metrics.ts";
import { PLAN_RETENTION_MS } from "../../src/domain/retention.ts";
import { indexTriggers } from "../../src/index/triggers.ts";

const MIGRATIONS = new URL("../../src/index/migrations/", import.meta.url);
const T = Date.UTC(2026, 0, 1, 10, 0, 0);
const MINUTE = METRIC_BUCKET_MS.m;
const HOUR = METRIC_BUCKET_MS.h;

type Config = { labelPaths?: Record<string, string>; metricLabels?: string[]; accountRetention?: object };

/** A segment as drizzle's migrator leaves it: each journal entry's file, statement by statement. */
function segment(config: Config = {}): DatabaseSync {
  const db = new DatabaseSync(":memory:");
  const journal = JSON.parse(readFileSync(new URL("meta/_journal.json", MIGRATIONS), "utf8")) as {
    entries: { tag: string }[];
  };
  for (const { tag } of journal.entries) {
    for (const statement of readFileSync(new URL(`${tag}.sql`, MIGRATIONS), "utf8").split("--> statement-breakpoint")) {
      db.exec(statement);
    }
  }
  const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));
  db.prepare(
    "INSERT INTO index_config (id, workflow_id, version_id, account_retention, label_paths, metric_labels) VALUES (1, 'wf', 'v1', ?, ?, ?)",
  ).run(json(config.accountRetention), json(config.labelPaths), json(config.metricLabels));
  return db;
}

type Labels = Record<string, string>;

type LabelCase = { name: string; paths?: Labels; labels?: Labels; params: unknown; expected: Labels | null };

type Instance = {
  id: string;
  status?: string;
  params?: unknown;
  labels?: Labels;
  retention?: object;
  revision?: number;
  created_on?: number;
  started_on?: number;
  ended_on?: number;
  error_name?: string;
  error_shape?: string;
  failed_step?: string;
  attempt_facts?: object[];
  attempts_mark?: string;
};

/** A column's value as the index stores it: JSON columns as text. */
function stored(value: unknown): SQLInputValue {
  if (typeof value === "string" || typeof value === "number") return value;
  return JSON.stringify(value);
}

function insert(db: DatabaseSync, instance: Instance): void {
  const row: Record<string, SQLInputValue> = {
    version_id: "v1",
    status: "queued",
    trigger_source: "api",
    created_on: T,
    modified_on: T,
    revision: 1,
  };
  for (const [column, value] of Object.entries(instance)) {
    if (value !== undefined) row[column] = stored(value);
  }
  const columns = Object.keys(row);
  db.prepare(`INSERT INTO instances (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`).run(
    ...Object.values(row),
  );
}

function update(db: DatabaseSync, id: string, set: Omit<Instance, "id">): void {
  const entries = Object.entries(set).map(([column, value]): [string, SQLInputValue] => [column, stored(value)]);
  db.prepare(`UPDATE instances SET ${entries.map(([column]) => `${column} = ?`).join(", ")} WHERE id = ?`).run(
    ...entries.map(([, value]) => value),
    id,
  );
}

function all(db: DatabaseSync, query: string, ...params: SQLInputValue[]): Record<string, unknown>[] {
  return db
    .prepare(query)
    .all(...params)
    .map((row) => ({ ...row }));
}

function statusCounts(db: DatabaseSync): Record<string, number> {
  return Object.fromEntries(
    all(db, "SELECT status, count FROM instance_status_counts").map((row) => [row.status, row.count]),
  );
}

function zeroCounts(): Record<string, number> {
  return Object.fromEntries(INSTANCE_STATUSES.map((status) => [status, 0]));
}

describe("index segment triggers", () => {
  it("are all created, in the order they are rendered", () => {
    const db = segment();
    const names = all(db, "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY rowid").map(
      (row) => row.name,
    );
    expect(names).toEqual(indexTriggers().map((statement) => /^CREATE TRIGGER (\w+)/.exec(statement)?.[1]));
    expect(names).toHaveLength(18);
  });

  describe("status counts", () => {
    it("start at zero for every status", () => {
      expect(statusCounts(segment())).toEqual(zeroCounts());
    });

    it.each([
      { name: "insert", steps: [["insert", "a", "queued"]], counts: { queued: 1 } },
      {
        name: "two inserts",
        steps: [
          ["insert", "a", "queued"],
          ["insert", "b", "running"],
        ],
        counts: { queued: 1, running: 1 },
      },
      {
        name: "status change",
        steps: [
          ["insert", "a", "queued"],
          ["update", "a", "running"],
        ],
        counts: { running: 1 },
      },
      {
        name: "same status again",
        steps: [
          ["insert", "a", "running"],
          ["update", "a", "running"],
        ],
        counts: { running: 1 },
      },
      {
        name: "delete",
        steps: [
          ["insert", "a", "queued"],
          ["update", "a", "complete"],
          ["delete", "a"],
        ],
        counts: {},
      },
    ] as const)("follow $name", ({ steps, counts }) => {
      const db = segment();
      for (const [op, id, status] of steps) {
        if (op === "insert") insert(db, { id, status });
        else if (op === "update") update(db, id, { status });
        else db.prepare("DELETE FROM instances WHERE id = ?").run(id);
      }
      expect(statusCounts(db)).toEqual({ ...zeroCounts(), ...counts });
    });
  });

  describe("labels", () => {
    const long = "x".repeat(MAX_LABEL_VALUE_LENGTH + 1);
    const many = Object.fromEntries(
      Array.from({ length: MAX_LABELS - 1 }, (_, i) => [`k${String(i).padStart(2, "0")}`, "v"]),
    );
    it.each<LabelCase>([
      {
        name: "the caller's alone",
        paths: undefined,
        labels: { a: "1" },
        params: { tenant: "t" },
        expected: { a: "1" },
      },
      { name: "none", paths: undefined, labels: undefined, params: { tenant: "t" }, expected: null },
      {
        name: "from paths: strings, numbers, booleans as text",
        paths: { tenant: "$.tenant", n: "$.n", flag: "$.flag", off: "$.off", nested: "$.meta.region" },
        labels: undefined,
        params: { tenant: "acme", n: 3, flag: true, off: false, meta: { region: "eu" } },
        expected: { tenant: "acme", n: "3", flag: "true", off: "false", nested: "eu" },
      },
      {
        name: "the caller's win a key both give",
        paths: { tenant: "$.tenant", region: "$.region" },
        labels: { tenant: "mine" },
        params: { tenant: "theirs", region: "eu" },
        expected: { tenant: "mine", region: "eu" },
      },
      {
        name: "objects, nulls, missing and too long values are left out",
        paths: { obj: "$.obj", nil: "$.nil", missing: "$.missing", long: "$.long", ok: "$.ok" },
        labels: undefined,
        params: { obj: { a: 1 }, nil: null, long, ok: "yes" },
        expected: { ok: "yes" },
      },
      { name: "paths that find nothing", paths: { tenant: "$.tenant" }, labels: undefined, params: {}, expected: null },
      {
        name: `at most ${MAX_LABELS}, the caller's first`,
        paths: { a: "$.a", b: "$.b" },
        labels: many,
        params: { a: "1", b: "2" },
        expected: { ...many, a: "1" },
      },
    ])("are $name", ({ paths, labels, params, expected }) => {
      const db = segment({ labelPaths: paths });
      insert(db, { id: "i", labels, params, status: "running" });
      const row = all(db, "SELECT labels FROM instances WHERE id = 'i'")[0];
      expect(row?.labels === null ? null : JSON.parse(String(row?.labels))).toEqual(expected);
      const indexed = all(
        db,
        "SELECT key, value, created_on FROM instance_labels WHERE instance_id = 'i' ORDER BY key",
      );
      const pairs = Object.entries(expected ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
      expect(indexed).toEqual(pairs.map(([key, value]) => ({ key, value, created_on: T })));
      const counted = all(db, "SELECT key, value, status, count FROM instance_label_counts ORDER BY key");
      expect(counted).toEqual(pairs.map(([key, value]) => ({ key, value, status: "running", count: 1 })));
    });

    it("counts per value and status follow status changes, label changes and deletes", () => {
      const db = segment();
      const counts = () =>
        all(db, "SELECT key, value, status, count FROM instance_label_counts ORDER BY key, value, status");
      insert(db, { id: "a", labels: { tenant: "x" }, status: "running" });
      insert(db, { id: "b", labels: { tenant: "x" }, status: "running" });
      expect(counts()).toEqual([{ key: "tenant", value: "x", status: "running", count: 2 }]);
      update(db, "a", { status: "complete" });
      expect(counts()).toEqual([
        { key: "tenant", value: "x", status: "complete", count: 1 },
        { key: "tenant", value: "x", status: "running", count: 1 },
      ]);
      update(db, "b", { labels: { tenant: "y" } });
      expect(counts()).toEqual([
        { key: "tenant", value: "x", status: "complete", count: 1 },
        { key: "tenant", value: "y", status: "running", count: 1 },
      ]);
      expect(all(db, "SELECT instance_id, value FROM instance_labels WHERE instance_id = 'b'")).toEqual([
        { instance_id: "b", value: "y" },
      ]);
      db.exec("DELETE FROM instances WHERE id = 'a'");
      expect(counts()).toEqual([{ key: "tenant", value: "y", status: "running", count: 1 }]);
      expect(all(db, "SELECT instance_id FROM instance_labels")).toEqual([{ instance_id: "b" }]);
    });
  });

  describe("expiry", () => {
    const own = { success_retention: 1_000, error_retention: 2_000 };
    const account = { success_retention: 10_000, error_retention: 20_000 };
    it.each([
      { name: "unfinished", status: "running", retention: undefined, account: undefined, expires: null },
      { name: "row's own, complete", status: "complete", retention: own, account, expires: T + 1_000 },
      { name: "row's own, errored", status: "errored", retention: own, account, expires: T + 2_000 },
      { name: "row's own, terminated", status: "terminated", retention: own, account, expires: T + 1_000 },
      { name: "account's", status: "errored", retention: undefined, account, expires: T + 20_000 },
      {
        name: "account's for a field the row lacks",
        status: "complete",
        retention: { error_retention: 5 },
        account,
        expires: T + 10_000,
      },
      { name: "plan's", status: "complete", retention: undefined, account: undefined, expires: T + PLAN_RETENTION_MS },
      {
        name: "plan's for a field the account lacks",
        status: "errored",
        retention: undefined,
        account: { success_retention: 1 },
        expires: T + PLAN_RETENTION_MS,
      },
    ])("is $name on insert", ({ status, retention, account: accountRetention, expires }) => {
      const db = segment({ accountRetention });
      insert(db, { id: "i", status, retention, ended_on: status === "running" ? undefined : T });
      expect(all(db, "SELECT expires_on FROM instances")).toEqual([{ expires_on: expires }]);
    });

    it("is set when the instance ends, kept on rewrites and cleared on a restart", () => {
      const db = segment({ accountRetention: account });
      const expiresOn = () => all(db, "SELECT expires_on FROM instances")[0]?.expires_on;
      insert(db, { id: "i", status: "running" });
      expect(expiresOn()).toBeNull();
      update(db, "i", { status: "complete", ended_on: T });
      expect(expiresOn()).toBe(T + account.success_retention);
      db.exec(`UPDATE index_config SET account_retention = '{"success_retention":1}'`);
      update(db, "i", { revision: 2 });
      expect(expiresOn()).toBe(T + account.success_retention);
      update(db, "i", { status: "running" });
      expect(expiresOn()).toBeNull();
    });
  });

  describe("metrics", () => {
    // Histograms are compared as objects: JSON text orders bins as they were added.
    const metrics = (db: DatabaseSync, bucket: string) =>
      all(
        db,
        "SELECT start, version_id, created, started, completed, errored, terminated, durations FROM instance_metrics WHERE bucket = ? ORDER BY start",
        bucket,
      ).map((row) => ({ ...row, durations: row.durations === null ? null : JSON.parse(String(row.durations)) }));

    it("count nothing for a row the engine has not confirmed, then its creation once it does", () => {
      const db = segment();
      insert(db, { id: "i", revision: 0 });
      expect(all(db, "SELECT * FROM instance_metrics")).toEqual([]);
      update(db, "i", { revision: 1 });
      update(db, "i", { revision: 2 });
      for (const [bucket, size] of [
        ["m", MINUTE],
        ["h", HOUR],
      ] as const) {
        expect(metrics(db, bucket)).toEqual([
          {
            start: Math.floor(T / size) * size,
            version_id: "v1",
            created: 1,
            started: 0,
            completed: 0,
            errored: 0,
            terminated: 0,
            durations: null,
          },
        ]);
      }
    });

    it("count each start and end, with the run's duration binned, and a restart again", () => {
      const db = segment();
      const started = T + 30_000;
      const ended = T + 90_000;
      insert(db, { id: "i", status: "running", started_on: started });
      update(db, "i", { status: "complete", ended_on: ended });
      update(db, "i", { status: "complete", revision: 3 });
      const bin = String(binOf(ended - started));
      expect(metrics(db, "m")).toEqual([
        {
          start: T,
          version_id: "v1",
          created: 1,
          started: 1,
          completed: 0,
          errored: 0,
          terminated: 0,
          durations: null,
        },
        {
          start: T + MINUTE,
          version_id: "v1",
          created: 0,
          started: 0,
          completed: 1,
          errored: 0,
          terminated: 0,
          durations: { [bin]: 1 },
        },
      ]);
      const restarted = T + 120_000;
      db.prepare("UPDATE instances SET status = 'running', started_on = ?, ended_on = NULL WHERE id = 'i'").run(
        restarted,
      );
      update(db, "i", { status: "terminated", ended_on: restarted });
      expect(metrics(db, "h")).toEqual([
        {
          start: T,
          version_id: "v1",
          created: 1,
          started: 2,
          completed: 1,
          errored: 0,
          terminated: 1,
          durations: { [bin]: 1, [binOf(1)]: 1 },
        },
      ]);
    });

    it("merge the histograms of runs of the same bin and of others", () => {
      const db = segment();
      for (const [id, ms] of [
        ["a", 5_000],
        ["b", 5_000],
        ["c", 50],
      ] as const) {
        insert(db, { id, status: "complete", started_on: T, ended_on: T + ms });
      }
      const durations = all(db, "SELECT durations FROM instance_metrics WHERE bucket = 'h'")[0]?.durations;
      expect(JSON.parse(String(durations))).toEqual({ [binOf(5_000)]: 2, [binOf(50)]: 1 });
    });

    it("keep errors per hour by name, shape and version", () => {
      const db = segment();
      insert(db, { id: "a", status: "errored", ended_on: T + 10, error_name: "TypeError", error_shape: "bad #" });
      insert(db, { id: "b", status: "errored", ended_on: T + 20, error_name: "TypeError", error_shape: "bad #" });
      insert(db, { id: "c", status: "errored", ended_on: T + HOUR });
      insert(db, { id: "d", status: "complete", ended_on: T });
      expect(all(db, "SELECT * FROM error_metrics ORDER BY start")).toEqual([
        {
          start: T,
          name: "TypeError",
          shape: "bad #",
          version_id: "v1",
          count: 2,
          first_seen: T + 10,
          last_seen: T + 20,
          example_instance_id: "b",
        },
        {
          start: T + HOUR,
          name: "Error",
          shape: "",
          version_id: "v1",
          count: 1,
          first_seen: T + HOUR,
          last_seen: T + HOUR,
          example_instance_id: "c",
        },
      ]);
    });

    it("count step attempts past the row's mark once, and the step that failed a run", () => {
      const db = segment();
      const fact = (mark: string, step: string, ok: boolean, start: number, end: number) => ({
        mark,
        step,
        ok,
        start,
        end,
      });
      const first = [fact("01", "fetch", false, T, T + 100), fact("02", "fetch", true, T + 200, T + 300)];
      insert(db, { id: "i", status: "running", attempt_facts: first, attempts_mark: "02" });
      update(db, "i", { attempt_facts: [...first, fact("03", "save", false, T + 400, T + 500)], attempts_mark: "03" });
      update(db, "i", { status: "errored", ended_on: T + 600, failed_step: "save", revision: 3 });
      expect(
        all(
          db,
          "SELECT step, attempts, failed, instances_failed, durations FROM step_metrics WHERE bucket = 'm' ORDER BY step",
        ),
      ).toEqual([
        { step: "fetch", attempts: 2, failed: 1, instances_failed: 0, durations: JSON.stringify({ [binOf(100)]: 2 }) },
        { step: "save", attempts: 1, failed: 1, instances_failed: 1, durations: JSON.stringify({ [binOf(100)]: 1 }) },
      ]);
    });

    it("count the failed step of a row first seen errored", () => {
      const db = segment();
      insert(db, { id: "i", status: "errored", ended_on: T, failed_step: "pay" });
      expect(all(db, "SELECT bucket, step, attempts, instances_failed FROM step_metrics ORDER BY bucket")).toEqual([
        { bucket: "h", step: "pay", attempts: 0, instances_failed: 1 },
        { bucket: "m", step: "pay", attempts: 0, instances_failed: 1 },
      ]);
    });

    it.each<{ name: string; metricLabels?: string[]; labels: Labels; expected: object[] }>([
      {
        name: "per value of the metric labels",
        metricLabels: ["tenant"],
        labels: { tenant: "acme", other: "x" },
        expected: [{ key: "tenant", value: "acme", created: 1, completed: 1 }],
      },
      { name: "not without metric labels", metricLabels: undefined, labels: { tenant: "acme" }, expected: [] },
      { name: "not for a key the instance lacks", metricLabels: ["region"], labels: { tenant: "acme" }, expected: [] },
    ])("count label metrics $name", ({ metricLabels, labels, expected }) => {
      const db = segment({ metricLabels });
      insert(db, { id: "i", status: "complete", labels, ended_on: T + 5 });
      expect(all(db, "SELECT key, value, created, completed FROM label_metrics WHERE bucket = 'h'")).toEqual(expected);
    });

    it("count label metrics under labels the label paths give after insert, for what the row did", () => {
      const db = segment({ labelPaths: { tenant: "$.tenant" }, metricLabels: ["tenant"] });
      insert(db, { id: "i", status: "running", started_on: T, params: { tenant: "acme" } });
      update(db, "i", { status: "complete", ended_on: T + 5 });
      expect(all(db, "SELECT key, value, created, started, completed FROM label_metrics WHERE bucket = 'h'")).toEqual([
        { key: "tenant", value: "acme", created: 1, started: 1, completed: 1 },
      ]);
    });
  });
});
