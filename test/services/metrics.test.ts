import { env } from "cloudflare:workers";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, type ExpectStatic, it } from "vitest";
import { seededRandom } from "../../scripts/lib/random";
import { FINISHED_STATUSES, type InstanceStatus } from "../../src/domain/instance-status";
import { parseSelector } from "../../src/domain/labels";
import { errorShape, QUANTILE_RELATIVE_ERROR } from "../../src/domain/metrics";
import type { AttemptFact, SummaryUpdate } from "../../src/index/summaries";
import { releaseFromIndex, writeToIndex } from "../../src/index/workflow-index";
import { indexWriterFor } from "../../src/index/writer";
import { createDeps, type Deps } from "../../src/services/deps";
import {
  exposition,
  type MetricsBucket,
  readMetrics,
  readStepMetrics,
  readTopErrors,
} from "../../src/services/metrics";
import { expireOwnRecords } from "../../src/services/retention/own-records";
import { putWorkflow } from "../../src/services/workflows";
import { uniqueId } from "../helpers/api";
import { addressOf, inEachSegment, withSegmentSize } from "../helpers/segments";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** A day and a half ago, on the hour: minute buckets are read back only for two days. */
const BASE = Math.floor((Date.now() - 36 * HOUR) / HOUR) * HOUR;

type Run = { startedOn: number | null; endedOn: number | null; status: InstanceStatus };

/** What happened, as the test saw it: the events each applied summary stands for. */
class History {
  events: { id: string; kind: "created" | "started" | InstanceStatus; at: number; duration?: number }[] = [];
  #runs = new Map<string, Run & { revision: number }>();

  /** The index applies a summary only with a higher revision than the row's. */
  apply(update: SummaryUpdate, createdOn: number): void {
    const before = this.#runs.get(update.instanceId);
    if (before && update.revision <= before.revision) return;
    const id = update.instanceId;
    if (!before) this.events.push({ id, kind: "created", at: createdOn });
    if (update.startedOn !== null && update.startedOn !== before?.startedOn) {
      this.events.push({ id, kind: "started", at: update.startedOn });
    }
    const finished = FINISHED_STATUSES.has(update.status) && update.endedOn !== null;
    const wasFinished = before !== undefined && FINISHED_STATUSES.has(before.status);
    if (finished && update.endedOn !== null && (!wasFinished || before?.endedOn !== update.endedOn)) {
      const duration = update.endedOn - (update.startedOn ?? createdOn);
      this.events.push({ id, kind: update.status, at: update.endedOn, duration });
    }
    const { status, startedOn, endedOn, revision } = update;
    this.#runs.set(update.instanceId, { status, startedOn, endedOn, revision });
  }

  forget(id: string): void {
    this.#runs.delete(id);
  }

  has(id: string): boolean {
    return this.#runs.has(id);
  }

  run(id: string): (Run & { revision: number }) | undefined {
    return this.#runs.get(id);
  }
}

const TENANTS = ["acme", "globex", "initech"];
const tenantOf = (id: string) => TENANTS[Number(id.split("-").at(-1)) % TENANTS.length] ?? "acme";

function exactQuantile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] ?? null;
}

function expectedBuckets(history: History, from: number, to: number, size: number, only?: (id: string) => boolean) {
  const buckets = new Map<number, { counts: Record<string, number>; durations: number[] }>();
  for (let at = from; at < to; at += size) {
    buckets.set(at, { counts: { created: 0, started: 0, complete: 0, errored: 0, terminated: 0 }, durations: [] });
  }
  for (const event of history.events) {
    if (only && !only(event.id)) continue;
    const bucket = buckets.get(Math.floor(event.at / size) * size);
    if (!bucket) continue;
    bucket.counts[event.kind] = (bucket.counts[event.kind] ?? 0) + 1;
    if (event.duration !== undefined) bucket.durations.push(Math.max(event.duration, 1));
  }
  return buckets;
}

function expectWithin(actual: number | null, exact: number | null, label: string, expect: ExpectStatic) {
  if (exact === null) {
    expect(actual, label).toBeNull();
    return;
  }
  expect(actual, label).not.toBeNull();
  expect(Math.abs((actual ?? 0) - exact), label).toBeLessThanOrEqual(exact * QUANTILE_RELATIVE_ERROR + 1);
}

/** Writes summaries into their workflows' indexes, as the IndexWriter's flush does. */
async function writeSummaries(deps: Deps, updates: SummaryUpdate[]): Promise<void> {
  await writeToIndex(deps.db, deps.index, updates);
}

async function randomHistory(deps: Deps, name: string, seed: number): Promise<History> {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const history = new History();
  const ids = Array.from({ length: 20 }, (_, index) => `instance-${index}`);
  const created = new Map<string, number>();
  let clock = BASE;
  for (let step = 0; step < 260; step++) {
    clock += Math.floor(next() * 3 * MINUTE);
    const id = pick(ids);
    const run = history.run(id);
    const revision = (run?.revision ?? 0) + 1;
    const roll = next();
    if (run && roll < 0.06) {
      await releaseFromIndex(deps.index, await addressOf(deps, name), [id]);
      history.forget(id);
      created.delete(id);
      continue;
    }
    const createdOn = created.get(id) ?? clock;
    created.set(id, createdOn);
    let update: Run;
    if (!run) update = { status: "queued", startedOn: null, endedOn: null };
    else if (run.status === "queued") update = { status: "running", startedOn: clock, endedOn: null };
    else if (run.status === "running") {
      const status = pick(["complete", "errored", "terminated", "running"] as const);
      update = { status, startedOn: run.startedOn, endedOn: status === "running" ? null : clock };
    } else update = { status: "running", startedOn: clock, endedOn: null }; // a restart
    // Now and then a stale write, as a delayed one would come: it must change nothing.
    const stale = run !== undefined && next() < 0.1;
    const summary: SummaryUpdate = {
      workflowName: name,
      instanceId: id,
      revision: stale ? revision - 1 : revision,
      ...update,
      errorName: update.status === "errored" ? "PaymentError" : null,
      errorShape:
        update.status === "errored" ? errorShape(`card ${id} declined after ${Math.floor(next() * 9)} tries`) : null,
      at: clock,
      createdOn,
      triggerSource: "api",
      // The tenant is in the params: a workflow with a label path for it labels the instance.
      params: JSON.stringify({ tenant: tenantOf(id) }),
    };
    await writeSummaries(deps, [summary]);
    history.apply(summary, createdOn);
  }
  return history;
}

describe("instance metrics", () => {
  it.for([
    { seed: 1, size: "default" },
    { seed: 2, size: "default" },
    { seed: 3, size: "default" },
    { seed: 1, size: 3 },
    { seed: 4, size: 2 },
  ] as const)(
    "equal a recount of what happened, through restarts, deletes and expiry (seed $seed, segments of $size)",
    async ({ seed, size }, { expect }) => {
      const deps = size === "default" ? createDeps(env) : withSegmentSize(createDeps(env), size);
      const name = uniqueId("metrics");
      await putWorkflow(deps, name, { class_name: "C", script_name: "s" });
      const history = await randomHistory(deps, name, seed);
      if (size !== "default") expect((await addressOf(deps, name)).segments.length).toBeGreaterThan(3);
      // Expiry removes finished instances from the index (the expiry pass's delete, without the
      // engine it first asks to forget them: this workflow has none). What happened stays counted.
      await inEachSegment(deps, name, "DELETE FROM instances WHERE expires_on IS NOT NULL");
      const left = await inEachSegment(deps, name, "SELECT id FROM instances");
      expect(left.length).toBeLessThan(20);

      const to = BASE + 24 * HOUR;
      for (const [bucket, size] of [
        ["1m", MINUTE],
        ["1h", HOUR],
        ["1d", 24 * HOUR],
      ] as const) {
        const from = Math.floor(BASE / size) * size;
        const result = await readMetrics(deps, name, { bucket, since: new Date(from), until: new Date(to) });
        if (!("buckets" in result)) throw new Error("expected one series");
        const expected = expectedBuckets(history, from, Math.ceil(to / size) * size, size);
        expect(result.buckets.length, bucket).toBe(expected.size);
        // The window as one: sums of the buckets, and quantiles over every duration in it.
        const all = [...expected.values()];
        const sum = (kind: string) => all.reduce((total, each) => total + (each.counts[kind] ?? 0), 0);
        expect(pickCounts({ ...result.total, start: "" }), `${bucket} total`).toEqual({
          created: sum("created"),
          started: sum("started"),
          completed: sum("complete"),
          errored: sum("errored"),
          terminated: sum("terminated"),
        });
        expectWithin(
          result.total.duration_ms.p95,
          exactQuantile(
            all.flatMap((each) => each.durations),
            0.95,
          ),
          `${bucket} total p95`,
          expect,
        );
        for (const actual of result.buckets) {
          const want = expected.get(Date.parse(actual.start));
          const label = `${bucket} ${actual.start}`;
          expect(pickCounts(actual), label).toEqual({
            created: want?.counts.created,
            started: want?.counts.started,
            completed: want?.counts.complete,
            errored: want?.counts.errored,
            terminated: want?.counts.terminated,
          });
          for (const q of [0.5, 0.95, 0.99] as const) {
            const key = q === 0.5 ? "p50" : q === 0.95 ? "p95" : "p99";
            expectWithin(actual.duration_ms[key], exactQuantile(want?.durations ?? [], q), `${label} ${key}`, expect);
          }
        }
      }
      expect(history.events.filter((event) => event.kind === "errored").length).toBeGreaterThan(0);
    },
  );

  it("groups errors by name and message shape, ids and numbers masked, with an example", async ({ expect }) => {
    const deps = createDeps(env);
    const name = uniqueId("errors");
    await putWorkflow(deps, name, { class_name: "C", script_name: "s" });
    const failures = [
      ["a", "Order A-1042 failed: card 4242 declined (request 3f2c1a9e-1b2c-4d5e-8f90-123456789abc)"],
      ["b", "Order B-7 failed: card 1881 declined (request 0e4fa6d2-6a1b-4c3d-9e8f-abcdefabcdef)"],
      ["c", "Timeout after 30000 ms"],
    ] as const;
    for (const [index, [id, message]] of failures.entries()) {
      const at = BASE + index * MINUTE;
      await writeSummaries(deps, [
        {
          workflowName: name,
          instanceId: id,
          revision: 1,
          status: "errored",
          startedOn: at - 1_000,
          endedOn: at,
          errorName: "Error",
          errorShape: errorShape(message),
          at,
          createdOn: at - 2_000,
          triggerSource: "api",
          params: null,
        },
      ]);
    }
    const groups = await readTopErrors(deps, name, {
      since: new Date(BASE - HOUR),
      until: new Date(BASE + HOUR),
      limit: 10,
    });
    expect(groups.map((group) => [group.message, group.count])).toEqual([
      ["Order <id> failed: card <n> declined (request <id>)", 2],
      ["Timeout after <n> ms", 1],
    ]);
    expect(groups[0]).toMatchObject({
      name: "Error",
      first_seen: new Date(BASE).toISOString(),
      last_seen: new Date(BASE + MINUTE).toISOString(),
    });
    expect(["a", "b"]).toContain(groups[0]?.example_instance_id);
    expect(groups[0]?.versions).toHaveLength(1);
  });
});

function pickCounts(bucket: MetricsBucket) {
  const { created, started, completed, errored, terminated } = bucket;
  return { created, started, completed, errored, terminated };
}

describe("the metrics exposition", () => {
  it("parses with a Prometheus parser and carries the right numbers", async ({ expect }) => {
    const deps = createDeps(env);
    const name = uniqueId("exposed");
    await putWorkflow(deps, name, { class_name: "C", script_name: "s" });
    const at = Date.now() - MINUTE;
    await writeSummaries(
      deps,
      (["complete", "errored", "errored"] as const).map((status, index) => ({
        workflowName: name,
        instanceId: `exposed-${index}`,
        revision: 1,
        status,
        startedOn: at - 5_000,
        endedOn: at,
        errorName: status === "errored" ? "Error" : null,
        errorShape: status === "errored" ? "boom" : null,
        at,
        createdOn: at - 6_000,
        triggerSource: "api",
        params: null,
      })),
    );
    const families = parsePrometheusTextFormat(await exposition(deps, "prometheus", null));
    const value = (family: string, labels: Record<string, string>) =>
      families
        .find((each) => each.name === family)
        ?.metrics.find((sample) => Object.entries(labels).every(([key, text]) => sample.labels?.[key] === text))?.value;
    expect(families.find((each) => each.name === "workflow_instances_created_total")?.type).toBe("COUNTER");
    expect(value("workflow_instances_created_total", { workflow: name })).toBe("3");
    expect(value("workflow_instances_started_total", { workflow: name })).toBe("3");
    expect(value("workflow_instances_finished_total", { workflow: name, outcome: "errored" })).toBe("2");
    expect(value("workflow_instances_finished_total", { workflow: name, outcome: "completed" })).toBe("1");
    expect(value("workflow_instances", { workflow: name, status: "errored" })).toBe("2");

    // OpenMetrics: the family without _total, its samples with it, and the end marked.
    const open = await exposition(deps, "openmetrics", null);
    expect(open).toContain("# TYPE workflow_instances_created counter\n");
    expect(open).toContain(`workflow_instances_created_total{workflow="${name}"} 3\n`);
    expect(open.endsWith("# EOF\n")).toBe(true);
  });
});

describe("metrics by label", () => {
  it("keep a series per value of a metric label, taken from params on first sight, equal to a recount", async ({
    expect,
  }) => {
    const deps = createDeps(env);
    const name = uniqueId("tenant-metrics");
    await putWorkflow(deps, name, {
      class_name: "C",
      script_name: "s",
      label_paths: { tenant: "$.tenant" },
      metric_labels: ["tenant"],
    });
    const history = await randomHistory(deps, name, 7);
    const from = BASE;
    const to = BASE + 24 * HOUR;
    const grouped = await readMetrics(deps, name, {
      bucket: "1h",
      since: new Date(from),
      until: new Date(to),
      groupBy: { label: "tenant" },
    });
    if (!("groups" in grouped)) throw new Error("expected groups");
    expect(grouped.groups.map((group) => group.key)).toEqual(TENANTS.map((tenant) => ({ labels: { tenant } })));
    for (const group of grouped.groups) {
      const tenant = "labels" in group.key ? group.key.labels.tenant : "";
      const expected = expectedBuckets(history, from, to, HOUR, (id) => tenantOf(id) === tenant);
      for (const actual of group.buckets) {
        const want = expected.get(Date.parse(actual.start));
        expect(pickCounts(actual), `${tenant} ${actual.start}`).toEqual({
          created: want?.counts.created,
          started: want?.counts.started,
          completed: want?.counts.complete,
          errored: want?.counts.errored,
          terminated: want?.counts.terminated,
        });
      }
    }
    const acme = await readMetrics(deps, name, {
      bucket: "1h",
      since: new Date(from),
      until: new Date(to),
      labels: parseSelector("tenant=acme"),
    });
    if (!("buckets" in acme)) throw new Error("expected one series");
    expect(acme.buckets).toEqual(grouped.groups[0]?.buckets);

    await expect(readMetrics(deps, name, { bucket: "1h", groupBy: { label: "region" } })).rejects.toThrow(
      "'region' is not a metric label",
    );
    await expect(readMetrics(deps, name, { bucket: "1h", labels: parseSelector("tenant!=acme") })).rejects.toThrow(
      "metrics take one key=value",
    );
  });
});

describe("step metrics", () => {
  it("keep the attempts of a summary that a newer one replaced in the IndexWriter's queue", async ({ expect }) => {
    const deps = createDeps(env);
    const name = uniqueId("queued-steps");
    await putWorkflow(deps, name, { class_name: "C", script_name: "s" });
    const fact = (seq: number): AttemptFact => {
      const end = BASE + seq * 1_000;
      return {
        mark: `${String(end).padStart(15, "0")}:${String(seq).padStart(8, "0")}:0001`,
        step: "ship",
        ok: 1,
        start: end - 10,
        end,
      };
    };
    const update = (revision: number, facts: AttemptFact[]): SummaryUpdate => ({
      workflowName: name,
      instanceId: "queued",
      revision,
      status: "running",
      startedOn: BASE,
      endedOn: null,
      errorName: null,
      errorShape: null,
      attempts: facts,
      at: BASE,
      createdOn: BASE,
      triggerSource: "api",
      params: null,
    });
    const writer = indexWriterFor(env, { workflowName: name, instanceId: "queued" });
    // Two summaries queued before a flush, each with attempts the other does not carry.
    await writer.enqueue([update(1, Array.from({ length: 32 }, (_, seq) => fact(seq)).reverse())]);
    await writer.enqueue([update(2, Array.from({ length: 32 }, (_, seq) => fact(seq + 32)).reverse())]);
    while ((await writer.flush()) > 0);
    const result = await readStepMetrics(deps, name, {
      bucket: "1h",
      since: new Date(BASE),
      until: new Date(BASE + HOUR),
    });
    expect(result.steps.map((step) => [step.step, step.attempts])).toEqual([["ship", 64]]);
  });

  it.for([1, 2])("count each attempt once, however many writes carry it (seed %i)", async (seed, { expect }) => {
    const deps = createDeps(env);
    const name = uniqueId("steps");
    await putWorkflow(deps, name, { class_name: "C", script_name: "s" });
    const next = seededRandom(seed);
    const steps = ["charge card", "ship", "notify"];
    const facts: AttemptFact[] = [];
    let clock = BASE;
    let revision = 0;
    for (let write = 0; write < 80; write++) {
      // A few attempts end between two writes; each write carries the latest 32, as the journal does.
      for (let ended = Math.floor(next() * 4); ended > 0; ended--) {
        clock += Math.floor(next() * 4 * MINUTE);
        const start = clock - Math.floor(next() * 20_000) - 1;
        const seq = facts.length;
        facts.push({
          mark: `${String(clock).padStart(15, "0")}:${String(seq).padStart(8, "0")}:0001`,
          step: steps[Math.floor(next() * steps.length)] ?? "ship",
          ok: next() < 0.3 ? 0 : 1,
          start,
          end: clock,
        });
      }
      // Now and then a stale write (refused whole), or a rebuilt journal sending old facts again.
      const stale = revision > 0 && next() < 0.1;
      revision += stale ? 0 : 1;
      await writeSummaries(deps, [
        {
          workflowName: name,
          instanceId: "stepped",
          revision: stale ? revision - 1 : revision,
          status: "running",
          startedOn: BASE,
          endedOn: null,
          errorName: null,
          errorShape: null,
          attempts: facts.slice(-32).reverse(),
          at: clock,
          createdOn: BASE,
          triggerSource: "api",
          params: null,
        },
      ]);
    }
    const result = await readStepMetrics(deps, name, {
      bucket: "1h",
      since: new Date(BASE),
      until: new Date(BASE + 24 * HOUR),
    });
    for (const step of steps) {
      const mine = facts.filter((fact) => fact.step === step);
      const read = result.steps.find((each) => each.step === step);
      expect(read?.attempts, step).toBe(mine.length);
      expect(read?.failed_attempts, step).toBe(mine.filter((fact) => fact.ok === 0).length);
      expectWithin(
        read?.duration_ms.p95 ?? null,
        exactQuantile(
          mine.map((fact) => Math.max(fact.end - fact.start, 1)),
          0.95,
        ),
        `${step} p95`,
        expect,
      );
      for (const bucket of read?.buckets ?? []) {
        const from = Date.parse(bucket.start);
        const inBucket = mine.filter((fact) => fact.end >= from && fact.end < from + HOUR);
        expect(bucket.attempts, `${step} ${bucket.start}`).toBe(inBucket.length);
      }
    }
    expect(facts.length).toBeGreaterThan(40);
  });
});

describe("metric bucket retention", () => {
  it("drops minutes after 2 days and hours after 400, in every metrics table", async ({ expect }) => {
    const deps = createDeps(env);
    const name = uniqueId("kept-metrics");
    await putWorkflow(deps, name, {
      class_name: "C",
      script_name: "s",
      label_paths: { tenant: "$.tenant" },
      metric_labels: ["tenant"],
    });
    const end = BASE + HOUR;
    await writeSummaries(deps, [
      {
        workflowName: name,
        instanceId: "kept",
        revision: 1,
        status: "errored",
        startedOn: end - 5_000,
        endedOn: end,
        errorName: "Error",
        errorShape: "boom",
        failedStep: "ship",
        attempts: [
          { mark: `${String(end).padStart(15, "0")}:00000001:0001`, step: "ship", ok: 0, start: end - 10, end },
        ],
        at: end,
        createdOn: end - 6_000,
        triggerSource: "api",
        params: JSON.stringify({ tenant: "acme" }),
      },
    ]);
    const rows = async () => {
      const counts: Record<string, string> = {};
      for (const table of ["instance_metrics", "label_metrics", "step_metrics", "error_metrics"]) {
        const results = await inEachSegment<{ bucket: string; n: number }>(
          deps,
          name,
          `SELECT ${table === "error_metrics" ? "'h'" : "bucket"} AS bucket, count(*) AS n FROM ${table} GROUP BY 1 ORDER BY 1`,
        );
        counts[table] = results.map((row) => `${row.bucket}:${row.n}`).join(",");
      }
      return counts;
    };
    expect(await rows()).toEqual({
      instance_metrics: "h:2,m:2",
      label_metrics: "h:2,m:2",
      step_metrics: "h:1,m:1",
      error_metrics: "h:1",
    });
    // Minutes go after two days, hours after 400 (one pass per batch: enough passes for these).
    for (let pass = 0; pass < 5; pass++) await expireOwnRecords(deps, end + 3 * 86_400_000);
    expect(await rows()).toEqual({
      instance_metrics: "h:2",
      label_metrics: "h:2",
      step_metrics: "h:1",
      error_metrics: "h:1",
    });
    for (let pass = 0; pass < 5; pass++) await expireOwnRecords(deps, end + 401 * 86_400_000);
    expect(await rows()).toEqual({ instance_metrics: "", label_metrics: "", step_metrics: "", error_metrics: "" });
  });
});
