import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, type ExpectStatic, it } from "vitest";
import { indexSegments } from "../../src/db/schema";
import { errorShape, QUANTILE_RELATIVE_ERROR } from "../../src/domain/metrics";
import type { MetricRows } from "../../src/index/reads/metrics";
import type { SummaryUpdate } from "../../src/index/summaries";
import { writeToIndex } from "../../src/index/workflow-index";
import { createDeps, type Deps } from "../../src/services/deps";
import { exposition, readMetrics, readStepMetrics, readTopErrors } from "../../src/services/metrics";
import { expireOwnRecords } from "../../src/services/retention/own-records";
import { putWorkflow } from "../../src/services/workflows";
import { uniqueId } from "../helpers/api";
import { addressOf, inEachSegment, withSegmentSize } from "../helpers/segments";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const TENANTS = ["acme", "globex", "initech"];
/** Instances, and how many each segment takes: three segments, each bucket of the hour in all three. */
const COUNT = 9;
const SEGMENT_SIZE = 3;

type Made = { id: string; createdOn: number; startedOn: number; endedOn: number; errored: boolean };

/**
 * A workflow whose index spans three segments of three instances each, created a minute apart
 * in one hour: each instance runs a "ship" attempt and ends, every third errored by it.
 */
async function spread(deps: Deps, expect: ExpectStatic): Promise<{ name: string; made: Made[]; hour: number }> {
  const name = uniqueId("segmented-metrics");
  await putWorkflow(deps, name, {
    class_name: "C",
    script_name: "s",
    label_paths: { tenant: "$.tenant" },
    metric_labels: ["tenant"],
  });
  // The last full hour but one, so every event is past and the window is whole.
  const hour = Math.floor((Date.now() - 20 * MINUTE) / HOUR) * HOUR;
  const made: Made[] = [];
  for (let index = 0; index < COUNT; index++) {
    const createdOn = hour + index * MINUTE;
    const startedOn = createdOn + 1_000;
    const one = {
      id: `i${index}`,
      createdOn,
      startedOn,
      endedOn: startedOn + (index + 1) * 1_000,
      errored: index % 3 === 0,
    };
    made.push(one);
    const base: SummaryUpdate = {
      workflowName: name,
      instanceId: one.id,
      revision: 1,
      status: "running",
      startedOn,
      endedOn: null,
      errorName: null,
      errorShape: null,
      at: startedOn,
      createdOn,
      triggerSource: "api",
      params: JSON.stringify({ tenant: TENANTS[index % TENANTS.length] }),
    };
    // One instance at a time, as creates come: each fills the newest segment, then starts the next.
    await writeToIndex(deps.db, deps.index, [base]);
    await writeToIndex(deps.db, deps.index, [
      {
        ...base,
        revision: 2,
        status: one.errored ? "errored" : "complete",
        endedOn: one.endedOn,
        errorName: one.errored ? "CardError" : null,
        errorShape: one.errored ? errorShape(`card ${4000 + index} declined`) : null,
        failedStep: one.errored ? "ship" : null,
        attempts: [
          {
            mark: `${String(one.endedOn).padStart(15, "0")}:00000001:0001`,
            step: "ship",
            ok: one.errored ? 0 : 1,
            start: startedOn,
            end: one.endedOn,
          },
        ],
        at: one.endedOn,
      },
    ]);
  }
  // Three full segments, and the one the last filled opened (empty so far).
  expect((await addressOf(deps, name)).segments.map((segment) => segment.seq)).toEqual([0, 1, 2, 3]);
  return { name, made, hour };
}

function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] ?? Number.NaN;
}

function expectWithin(actual: number | null, exact: number, expect: ExpectStatic): void {
  expect(Math.abs((actual ?? Number.NaN) - exact)).toBeLessThanOrEqual(exact * QUANTILE_RELATIVE_ERROR + 1);
}

/** Every read the metrics answer of the workflow, over its hour. */
async function readAll(deps: Deps, name: string, hour: number) {
  const window = { since: new Date(hour), until: new Date(hour + HOUR) };
  return {
    minutes: await readMetrics(deps, name, { ...window, bucket: "1m" }),
    hours: await readMetrics(deps, name, { ...window, bucket: "1h", groupBy: "version" }),
    tenants: await readMetrics(deps, name, { ...window, bucket: "1h", groupBy: { label: "tenant" } }),
    steps: await readStepMetrics(deps, name, { ...window, bucket: "1m" }),
    errors: await readTopErrors(deps, name, { ...window, limit: 10 }),
  };
}

async function segmentOf(deps: Deps, name: string, seq: number) {
  return deps.index.segment(await addressOf(deps, name), seq);
}

describe("metrics over a workflow whose index spans several segments", () => {
  it("sum every segment's buckets, steps and error groups, histograms merged", async ({ expect }) => {
    const deps = withSegmentSize(createDeps(env), SEGMENT_SIZE);
    const { name, made, hour } = await spread(deps, expect);
    const durations = made.map((one) => one.endedOn - one.startedOn);
    const errored = made.filter((one) => one.errored);

    const minutes = await readMetrics(deps, name, {
      since: new Date(hour),
      until: new Date(hour + HOUR),
      bucket: "1m",
    });
    if (!("total" in minutes)) throw new Error("expected one series");
    expect(minutes.total).toMatchObject({ created: COUNT, started: COUNT, completed: 6, errored: 3, terminated: 0 });
    expectWithin(minutes.total.duration_ms.p50, exactQuantile(durations, 0.5), expect);
    expectWithin(minutes.total.duration_ms.p95, exactQuantile(durations, 0.95), expect);
    // Each minute holds one creation, from whichever segment holds its instance.
    expect(minutes.buckets.slice(0, COUNT).map((bucket) => bucket.created)).toEqual(Array(COUNT).fill(1));

    // The hour holds rows of all three segments: one bucket, their sums, one merged histogram.
    const hours = await readMetrics(deps, name, {
      since: new Date(hour),
      until: new Date(hour + HOUR),
      bucket: "1h",
      groupBy: "version",
    });
    if (!("groups" in hours)) throw new Error("expected groups");
    expect(hours.groups).toHaveLength(1);
    expect(hours.groups[0]?.buckets[0]).toMatchObject({ created: COUNT, completed: 6, errored: 3 });
    expectWithin(hours.groups[0]?.buckets[0]?.duration_ms.p99 ?? null, exactQuantile(durations, 0.99), expect);

    const tenants = await readMetrics(deps, name, {
      since: new Date(hour),
      until: new Date(hour + HOUR),
      bucket: "1h",
      groupBy: { label: "tenant" },
    });
    if (!("groups" in tenants)) throw new Error("expected groups");
    expect(tenants.groups.map((group) => [group.key, group.total.created, group.total.errored])).toEqual([
      [{ labels: { tenant: "acme" } }, 3, 3],
      [{ labels: { tenant: "globex" } }, 3, 0],
      [{ labels: { tenant: "initech" } }, 3, 0],
    ]);

    const steps = await readStepMetrics(deps, name, {
      since: new Date(hour),
      until: new Date(hour + HOUR),
      bucket: "1h",
    });
    expect(steps.steps).toHaveLength(1);
    expect(steps.steps[0]).toMatchObject({ step: "ship", attempts: COUNT, failed_attempts: 3, instances_failed: 3 });
    expectWithin(steps.steps[0]?.duration_ms.p95 ?? null, exactQuantile(durations, 0.95), expect);

    const errors = await readTopErrors(deps, name, { since: new Date(hour), until: new Date(hour + HOUR), limit: 10 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      name: "CardError",
      message: "card <n> declined",
      count: 3,
      first_seen: new Date(errored[0]?.endedOn ?? 0).toISOString(),
      last_seen: new Date(errored.at(-1)?.endedOn ?? 0).toISOString(),
    });
    expect(errored.map((one) => one.id)).toContain(errors[0]?.example_instance_id);
  });

  it("sum every segment in the exposition, each taking its own expired instances off its gauges", async ({
    expect,
  }) => {
    const deps = withSegmentSize(createDeps(env), SEGMENT_SIZE);
    const { name } = await spread(deps, expect);
    // i3, errored, is in segment 1: past its retention, not yet removed.
    await runInDurableObject(await segmentOf(deps, name, 1), (_, state) => {
      state.storage.sql.exec("UPDATE instances SET expires_on = 1 WHERE id = 'i3'");
    });
    const families = parsePrometheusTextFormat(await exposition(deps, "prometheus", [name]));
    const value = (family: string, labels: Record<string, string>) =>
      families
        .find((each) => each.name === family)
        ?.metrics.find((sample) => Object.entries(labels).every(([key, text]) => sample.labels?.[key] === text))?.value;
    expect(value("workflow_instances_created_total", { workflow: name })).toBe(String(COUNT));
    expect(value("workflow_instances_started_total", { workflow: name })).toBe(String(COUNT));
    expect(value("workflow_instances_finished_total", { workflow: name, outcome: "completed" })).toBe("6");
    expect(value("workflow_instances_finished_total", { workflow: name, outcome: "errored" })).toBe("3");
    expect(value("workflow_instances", { workflow: name, status: "complete" })).toBe("6");
    expect(value("workflow_instances", { workflow: name, status: "errored" })).toBe("2");
  });

  it("keep their totals and histograms when a segment's buckets move into another (exportMetrics, absorbMetrics)", async ({
    expect,
  }) => {
    const deps = withSegmentSize(createDeps(env), SEGMENT_SIZE);
    const { name, hour } = await spread(deps, expect);
    const before = await readAll(deps, name, hour);

    // Retention drops segment 0 whole once its instances expired; its buckets go to the newest first.
    const rows = await (await segmentOf(deps, name, 0)).exportMetrics();
    for (const table of ["instance", "label", "step", "error"] as const)
      expect(rows[table].length, table).toBeGreaterThan(0);
    await (await segmentOf(deps, name, 2)).absorbMetrics(rows);
    const { workflowId } = await addressOf(deps, name);
    await deps.db.insert(indexSegments).values({ workflowId, seq: 0, startsOn: 0, droppedOn: Date.now() });
    expect((await addressOf(deps, name)).segments.map((segment) => segment.seq)).toEqual([1, 2, 3]);
    expect(await readAll(deps, name, hour)).toEqual(before);
  });

  it("expire in every segment: minutes after 2 days, hours after 400", async ({ expect }) => {
    const deps = withSegmentSize(createDeps(env), SEGMENT_SIZE);
    const { name, hour } = await spread(deps, expect);
    const buckets = async () =>
      (
        await inEachSegment<{ bucket: string; n: number }>(
          deps,
          name,
          "SELECT bucket, count(*) AS n FROM instance_metrics GROUP BY 1 ORDER BY 1",
        )
      ).map((row) => `${row.bucket}:${row.n}`);
    // Segments 0 to 2 each hold the hour and the minute of each of their instances (whose
    // creation, start and end fall in one minute); the empty segment 3 nothing.
    expect(await buckets()).toEqual(["h:1", "m:3", "h:1", "m:3", "h:1", "m:3"]);
    const minutesGone = await expireOwnRecords(deps, hour + 3 * 86_400_000);
    expect(await buckets()).toEqual(["h:1", "h:1", "h:1"]);
    // Of this workflow alone: 9 minute rows in each of instance_metrics, label_metrics and
    // step_metrics (other tests' workflows share the database, so at least).
    expect(minutesGone.metricBuckets).toBeGreaterThanOrEqual(27);
    await expireOwnRecords(deps, hour + 401 * 86_400_000);
    expect(await buckets()).toEqual([]);
  });

  it("add counts and histograms bin by bin where both segments hold a bucket", async ({ expect }) => {
    const deps = withSegmentSize(createDeps(env), SEGMENT_SIZE);
    const { name } = await spread(deps, expect);
    const segment = await segmentOf(deps, name, 1);
    const once = await segment.exportMetrics();
    // Every row conflicts with itself: each count and each bin doubles, sightings stay.
    await segment.absorbMetrics(once);
    const twice = await segment.exportMetrics();
    expect(normalized(twice)).toEqual(normalized(doubled(once)));
  });
});

function doubled(rows: MetricRows): MetricRows {
  const histogram = (durations: string | null) =>
    durations === null
      ? null
      : JSON.stringify(
          Object.fromEntries(
            Object.entries(JSON.parse(durations) as Record<string, number>).map(([bin, n]) => [bin, 2 * n]),
          ),
        );
  const events = <
    Row extends {
      created: number;
      started: number;
      completed: number;
      errored: number;
      terminated: number;
      durations: string | null;
    },
  >(
    row: Row,
  ): Row => ({
    ...row,
    created: 2 * row.created,
    started: 2 * row.started,
    completed: 2 * row.completed,
    errored: 2 * row.errored,
    terminated: 2 * row.terminated,
    durations: histogram(row.durations),
  });
  return {
    instance: rows.instance.map(events),
    label: rows.label.map(events),
    step: rows.step.map((row) => ({
      ...row,
      attempts: 2 * row.attempts,
      failed: 2 * row.failed,
      instancesFailed: 2 * row.instancesFailed,
      durations: histogram(row.durations),
    })),
    error: rows.error.map((row) => ({ ...row, count: 2 * row.count })),
  };
}

/** Rows in one order, histograms parsed (JSON objects compare by content, not by key order). */
function normalized(rows: MetricRows) {
  const sorted = <Row extends object>(list: Row[]) =>
    list
      .map((row) => ({
        ...row,
        durations:
          "durations" in row && typeof row.durations === "string" ? (JSON.parse(row.durations) as unknown) : null,
      }))
      .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  return {
    instance: sorted(rows.instance),
    label: sorted(rows.label),
    step: sorted(rows.step),
    error: sorted(rows.error),
  };
}
