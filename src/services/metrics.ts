import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Db } from "../db/client";
import { workflows } from "../db/schema";
import type { InstanceStatus } from "../domain/instance-status";
import type { LabelSelector } from "../domain/labels";
import {
  type Histogram,
  HOUR_RETENTION_MS,
  METRIC_BUCKET_MS,
  MINUTE_RETENTION_MS,
  mergeHistograms,
  quantiles,
} from "../domain/metrics";
import type { IndexAddress } from "../index/config";
import { addressOf, selectSegments } from "../index/directory";
import type { BucketWindow, ErrorSums, SeriesOf } from "../index/reads/metrics";
import { acrossSegments } from "../index/workflow-index";
import { forEachConcurrently } from "../lib/concurrency";
import { ApiError, workflowNotFound } from "../lib/errors";
import { toIso } from "../lib/time";
import type { Deps } from "./deps";

export const BUCKET_SIZES = { "1m": METRIC_BUCKET_MS.m, "1h": METRIC_BUCKET_MS.h, "1d": 86_400_000 } as const;
export type BucketSize = keyof typeof BUCKET_SIZES;

export { HOUR_RETENTION_MS, MINUTE_RETENTION_MS };

/** The most buckets one read answers. */
export const MAX_BUCKETS = 2_000;

export type MetricsWindow = { since?: Date | undefined; until?: Date | undefined; bucket: BucketSize };

export type MetricsBucket = {
  start: string;
  created: number;
  started: number;
  completed: number;
  errored: number;
  terminated: number;
  /** errored / (completed + errored + terminated): the share of the runs that ended in the bucket; null when none did. */
  error_rate: number | null;
  duration_ms: { p50: number | null; p95: number | null; p99: number | null };
};

/** A series: its buckets, and the whole window as one (its quantiles from the merged histograms). */
export type MetricsSeries = { total: Omit<MetricsBucket, "start">; buckets: MetricsBucket[] };

export type MetricsResult =
  | ({ bucket: BucketSize } & MetricsSeries)
  | {
      bucket: BucketSize;
      groups: ({ key: { version_id: string } | { labels: Record<string, string> } } & MetricsSeries)[];
    };

/** The default span of a read: an hour of minutes, a day of hours, thirty days of days. */
const DEFAULT_SPAN = { "1m": 3_600_000, "1h": 86_400_000, "1d": 30 * 86_400_000 } as const;

/** What a metrics read splits its series by: versions, or the values of a metric label. */
export type MetricsGrouping = "version" | { label: string };

/**
 * A workflow's metrics per time bucket over [since, until), optionally per version or per
 * value of a metric label, or of the instances with given values of one: what the triggers
 * maintained, summed per bucket (days from hours) by each segment of the workflow's index in one
 * indexed range read, added up across segments (histograms bin by bin) before the duration
 * quantiles are read. Every bucket of the window is present, empty ones as zeros.
 */
export async function readMetrics(
  deps: Deps,
  workflowName: string,
  window: MetricsWindow & { groupBy?: MetricsGrouping | undefined; labels?: LabelSelector | undefined },
): Promise<MetricsResult> {
  const { workflow, address } = await readWorkflowIndex(deps.db, workflowName);
  const { from, to, size } = windowOf(window);
  const label = metricLabelOf(workflow, window.groupBy, window.labels);
  const series: SeriesOf = label
    ? { by: "label", ...label }
    : { by: window.groupBy === "version" ? "version" : "none" };
  const stored: BucketWindow = { bucket: window.bucket === "1m" ? "m" : "h", from, to, size };
  const answers = await acrossSegments(deps.index, address, (segment) => segment.eventSums(stored, series));

  type Collected = {
    buckets: Map<number, { counts: Counts; histogram: Histogram }>;
    counts: Counts;
    histogram: Histogram;
  };
  const collected = new Map<string, Collected>();
  for (const row of answers.flat()) {
    const into = collected.get(row.series) ?? { buckets: new Map(), counts: { ...ZERO }, histogram: new Map() };
    collected.set(row.series, into);
    const bucket = into.buckets.get(row.start) ?? { counts: { ...ZERO }, histogram: new Map() };
    into.buckets.set(row.start, bucket);
    mergeHistograms(bucket.histogram, row.durations);
    mergeHistograms(into.histogram, row.durations);
    for (const key of COUNTED) {
      bucket.counts[key] += row[key];
      into.counts[key] += row[key];
    }
  }
  const seriesOf = (one: Collected | undefined): MetricsSeries => {
    const buckets: MetricsBucket[] = [];
    for (let at = from; at < to; at += size) {
      const bucket = one?.buckets.get(at);
      buckets.push(bucketOf(at, bucket?.counts ?? ZERO, bucket?.histogram ?? new Map()));
    }
    const { start: _start, ...total } = bucketOf(from, one?.counts ?? ZERO, one?.histogram ?? new Map());
    return { total, buckets };
  };
  if (window.groupBy === undefined) return { bucket: window.bucket, ...seriesOf(collected.get("")) };
  const keyOf = (value: string) =>
    window.groupBy === "version" ? { version_id: value } : { labels: { [label?.key ?? ""]: value } };
  return {
    bucket: window.bucket,
    groups: [...collected.keys()].sort().map((value) => ({ key: keyOf(value), ...seriesOf(collected.get(value)) })),
  };
}

/** A workflow by name and the address of its index: one D1 round trip. */
async function readWorkflowIndex(db: Db, name: string) {
  const [[workflow], segments] = await db.batch([
    db.select().from(workflows).where(eq(workflows.name, name)),
    selectSegments(db, db.select({ id: workflows.id }).from(workflows).where(eq(workflows.name, name))),
  ]);
  if (!workflow) throw workflowNotFound(name);
  return { workflow, address: addressOf(workflow, segments) };
}

/**
 * The metric label a read groups or filters by, and the values it keeps; refused unless the
 * workflow declares the key in `metric_labels` and the selector is one `key=value` or
 * `key in (…)` of it (what `label_metrics` can answer without a scan).
 */
function metricLabelOf(
  workflow: { name: string; metricLabels: string[] | null },
  groupBy: MetricsGrouping | undefined,
  selector: LabelSelector | undefined,
): { key: string; grouped: boolean; values?: string[] } | undefined {
  const grouped = typeof groupBy === "object" ? groupBy.label : undefined;
  if (
    selector &&
    (selector.length !== 1 || selector[0]?.operator !== "in" || (grouped && selector[0].key !== grouped))
  ) {
    throw new ApiError(
      "invalidRequest",
      "query.labels: metrics take one key=value or key in (…) requirement, of the label they are grouped by if any",
    );
  }
  const requirement = selector?.[0];
  const key = grouped ?? requirement?.key;
  if (key === undefined) return undefined;
  if (!workflow.metricLabels?.includes(key)) {
    const declared = workflow.metricLabels?.length ? workflow.metricLabels.join(", ") : "none";
    throw new ApiError(
      "invalidRequest",
      `query: '${key}' is not a metric label of workflow '${workflow.name}' (declared: ${declared}); declare it with PUT …/workflows/${workflow.name} { "metric_labels": [...] }`,
    );
  }
  if (groupBy === "version") {
    throw new ApiError("invalidRequest", "query: metrics are grouped by version or filtered by a label, not both");
  }
  return {
    key,
    grouped: grouped !== undefined,
    ...(requirement?.operator === "in" ? { values: requirement.values } : {}),
  };
}

type Counts = { created: number; started: number; completed: number; errored: number; terminated: number };
const ZERO: Counts = { created: 0, started: 0, completed: 0, errored: 0, terminated: 0 };
const COUNTED = ["created", "started", "completed", "errored", "terminated"] as const;

function bucketOf(start: number, counts: Counts, durations: Histogram): MetricsBucket {
  const [p50 = null, p95 = null, p99 = null] = quantiles(durations, [0.5, 0.95, 0.99]);
  const ended = counts.completed + counts.errored + counts.terminated;
  return {
    start: new Date(start).toISOString(),
    created: counts.created,
    started: counts.started,
    completed: counts.completed,
    errored: counts.errored,
    terminated: counts.terminated,
    error_rate: ended === 0 ? null : counts.errored / ended,
    duration_ms: { p50, p95, p99 },
  };
}

/**
 * The window aligned to whole buckets; refused when it holds too many, or reaches minutes older
 * than they are kept (which would read as quiet minutes, not as gone ones).
 */
function windowOf(
  { since, until, bucket }: MetricsWindow,
  maxBuckets = MAX_BUCKETS,
): { from: number; to: number; size: number } {
  const size = BUCKET_SIZES[bucket];
  const now = Date.now();
  const to = Math.ceil((until?.getTime() ?? now) / size) * size;
  const from = Math.floor((since?.getTime() ?? to - DEFAULT_SPAN[bucket]) / size) * size;
  if (from >= to) throw new ApiError("invalidRequest", "query: since must be before until");
  if (bucket === "1m" && from < now - MINUTE_RETENTION_MS - size) {
    throw new ApiError("invalidRequest", "query: minute buckets are kept 2 days; read older ones with bucket=1h");
  }
  if ((to - from) / size > maxBuckets) {
    throw new ApiError(
      "invalidRequest",
      `query: at most ${maxBuckets} buckets of ${bucket} at once; widen the bucket or narrow since/until`,
    );
  }
  return { from, to, size };
}

// ---------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------

type StepCounts = { attempts: number; failed_attempts: number; instances_failed: number };
const NO_STEPS: StepCounts = { attempts: 0, failed_attempts: 0, instances_failed: 0 };

export type StepBucket = StepCounts & { start: string; duration_ms: { p50: number | null; p95: number | null } };

export type StepMetrics = StepCounts & {
  step: string;
  /** failed_attempts / attempts: how often an attempt of the step fails (and so is retried, or ends the run). */
  retry_rate: number | null;
  duration_ms: { p50: number | null; p95: number | null };
  buckets: StepBucket[];
};

/**
 * Per step (by name, without the log's counter suffix) over [since, until): attempts, failed
 * attempts, the runs its failure ended, attempt durations, in total and per bucket; the steps
 * that fail most first.
 */
export async function readStepMetrics(
  deps: Deps,
  workflowName: string,
  window: MetricsWindow,
): Promise<{ bucket: BucketSize; steps: StepMetrics[] }> {
  const { address } = await readWorkflowIndex(deps.db, workflowName);
  const { from, to, size } = windowOf(window);
  const stored: BucketWindow = { bucket: window.bucket === "1m" ? "m" : "h", from, to, size };
  const answers = await acrossSegments(deps.index, address, (segment) => segment.stepSums(stored));
  type Collected = { counts: StepCounts; histogram: Histogram };
  const steps = new Map<string, Collected & { buckets: Map<number, Collected> }>();
  for (const row of answers.flat()) {
    const step = steps.get(row.step) ?? { counts: { ...NO_STEPS }, histogram: new Map(), buckets: new Map() };
    steps.set(row.step, step);
    const bucket = step.buckets.get(row.start) ?? { counts: { ...NO_STEPS }, histogram: new Map() };
    step.buckets.set(row.start, bucket);
    for (const into of [step, bucket]) {
      into.counts.attempts += row.attempts;
      into.counts.failed_attempts += row.failed;
      into.counts.instances_failed += row.instancesFailed;
      mergeHistograms(into.histogram, row.durations);
    }
  }
  const result = [...steps].map(([name, { counts, histogram, buckets }]): StepMetrics => {
    const [p50 = null, p95 = null] = quantiles(histogram, [0.5, 0.95]);
    const all: StepBucket[] = [];
    for (let at = from; at < to; at += size) {
      const bucket = buckets.get(at);
      const [bucketP50 = null, bucketP95 = null] = quantiles(bucket?.histogram ?? new Map(), [0.5, 0.95]);
      all.push({
        start: new Date(at).toISOString(),
        ...(bucket?.counts ?? NO_STEPS),
        duration_ms: { p50: bucketP50, p95: bucketP95 },
      });
    }
    return {
      step: name,
      ...counts,
      retry_rate: counts.attempts === 0 ? null : counts.failed_attempts / counts.attempts,
      duration_ms: { p50, p95 },
      buckets: all,
    };
  });
  result.sort(
    (a, b) => b.failed_attempts - a.failed_attempts || b.attempts - a.attempts || a.step.localeCompare(b.step),
  );
  return { bucket: window.bucket, steps: result };
}

// ---------------------------------------------------------------------------------------------
// Top errors
// ---------------------------------------------------------------------------------------------

export type ErrorGroup = {
  name: string;
  message: string;
  count: number;
  first_seen: string;
  last_seen: string;
  versions: string[];
  example_instance_id: string;
};

/** Error groups (name and message shape) most frequent first, over [since, until) by the hour. */
export async function readTopErrors(
  deps: Deps,
  workflowName: string,
  window: { since?: Date | undefined; until?: Date | undefined; limit: number },
): Promise<ErrorGroup[]> {
  const { address } = await readWorkflowIndex(deps.db, workflowName);
  // One aggregate over the hours, whatever their number: no bucket limit applies.
  const { from, to } = windowOf({ since: window.since, until: window.until, bucket: "1h" }, Number.POSITIVE_INFINITY);
  const answers = await acrossSegments(deps.index, address, (segment) => segment.errorSums(from, to));
  const groups = new Map<string, Omit<ErrorSums, "versions"> & { versions: Set<string> }>();
  for (const row of answers.flat()) {
    // The name and shape as one key: JSON keeps apart what a separator could confuse.
    const key = JSON.stringify([row.name, row.shape]);
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { ...row, versions: new Set(row.versions) });
      continue;
    }
    // The example of the latest sighting: the instance least likely to have expired.
    if (row.lastSeen > group.lastSeen) group.example = row.example;
    group.count += row.count;
    group.firstSeen = Math.min(group.firstSeen, row.firstSeen);
    group.lastSeen = Math.max(group.lastSeen, row.lastSeen);
    for (const version of row.versions) group.versions.add(version);
  }
  return [...groups.values()]
    .sort((a, b) => b.count - a.count || compare(a.name, b.name) || compare(a.shape, b.shape))
    .slice(0, window.limit)
    .map((group) => ({
      name: group.name,
      message: group.shape,
      count: group.count,
      first_seen: toIso(new Date(group.firstSeen)) ?? "",
      last_seen: toIso(new Date(group.lastSeen)) ?? "",
      versions: [...group.versions].sort(),
      example_instance_id: group.example,
    }));
}

/** Strings in SQLite's (binary) order, as the reads ordered them when SQL did. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// The account: an overview, and the OpenMetrics exposition
// ---------------------------------------------------------------------------------------------

export type WorkflowTotals = Counts & { workflow: string; error_rate: number | null; duration_p95_ms: number | null };

/** Every workflow's totals over [since, until) (default: the last 24 hours), by name. */
export async function readOverview(
  deps: Deps,
  window: { since?: Date | undefined; until?: Date | undefined },
  only: Visible,
): Promise<{ since: string; until: string; workflows: WorkflowTotals[] }> {
  const { from, to } = windowOf({ ...window, bucket: "1h" }, Number.POSITIVE_INFINITY);
  const indexes = await visibleIndexes(deps, only);
  const totals = new Map<string, WorkflowTotals>();
  await forEachConcurrently(indexes, WORKFLOW_FAN_OUT, async ({ name, address }) => {
    const { counts, histogram } = await totalsOf(deps, address, { from, to });
    // The window as one bucket: the same error rate and quantiles as a series' total.
    const { created, started, completed, errored, terminated, error_rate, duration_ms } = bucketOf(
      from,
      counts,
      histogram,
    );
    const sums = { created, started, completed, errored, terminated };
    totals.set(name, { workflow: name, ...sums, error_rate, duration_p95_ms: duration_ms.p95 });
  });
  return {
    since: new Date(from).toISOString(),
    until: new Date(to).toISOString(),
    workflows: indexes.flatMap(({ name }) => totals.get(name) ?? []),
  };
}

/** The workflows a caller may see: a scoped token's, or all (null). */
export type Visible = string[] | null;

/** How many workflows an account-wide read asks at once (each asks its segments in turn). */
const WORKFLOW_FAN_OUT = 16;

/** The visible workflows (not deleted), by name, with their indexes' addresses: one D1 round trip. */
async function visibleIndexes(deps: Deps, only: Visible): Promise<{ name: string; address: IndexAddress }[]> {
  const visible = and(isNull(workflows.deletedOn), only ? inArray(workflows.name, only) : undefined);
  const [rows, segments] = await deps.db.batch([
    deps.db
      .select({ id: workflows.id, name: workflows.name, jurisdiction: workflows.jurisdiction })
      .from(workflows)
      .where(visible)
      .orderBy(workflows.name),
    selectSegments(deps.db, deps.db.select({ id: workflows.id }).from(workflows).where(visible)),
  ]);
  return rows.map((row) => ({ name: row.name, address: addressOf(row, segments) }));
}

/** A workflow's hour buckets in `range` (all without one) summed over its segments, histograms merged. */
async function totalsOf(
  deps: Deps,
  address: IndexAddress,
  range: { from: number; to: number } | null,
): Promise<{ counts: Counts; histogram: Histogram }> {
  const answers = await acrossSegments(deps.index, address, (segment) => segment.eventTotals(range));
  const counts = { ...ZERO };
  const histogram: Histogram = new Map();
  for (const answer of answers) {
    for (const key of COUNTED) counts[key] += answer[key];
    mergeHistograms(histogram, answer.durations);
  }
  return { counts, histogram };
}

export type Exposition = "openmetrics" | "prometheus";

type Family = {
  name: string;
  type: "counter" | "gauge";
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
};

/**
 * The account's metrics as text for scrapers: per workflow, counters of instances created,
 * started and finished (by outcome) over the hour buckets kept (400 days), and a gauge of its
 * instances per status now; of the workflows the caller may see, `WORKFLOW_FAN_OUT` at once,
 * each summed over its segments. In the OpenMetrics format (a counter family `x` with samples
 * `x_total`, ending in `# EOF`) or in Prometheus' own text format (the family named `x_total`).
 */
export async function exposition(deps: Deps, format: Exposition, only: Visible): Promise<string> {
  const indexes = await visibleIndexes(deps, only);
  const now = Date.now();
  const read = new Map<string, { counts: Counts; live: Map<InstanceStatus, number> }>();
  await forEachConcurrently(indexes, WORKFLOW_FAN_OUT, async ({ name, address }) => {
    const [{ counts }, statuses] = await Promise.all([
      totalsOf(deps, address, null),
      // Instances past their retention are gone, though the pass may not have removed them yet:
      // each segment takes its own off its counts.
      acrossSegments(deps.index, address, (segment) => segment.liveStatusCounts(now)),
    ]);
    const live = new Map<InstanceStatus, number>();
    for (const { status, count } of statuses.flat()) live.set(status, (live.get(status) ?? 0) + count);
    read.set(name, { counts, live });
  });
  const totals = indexes.flatMap(({ name }) => {
    const one = read.get(name);
    return one ? [{ workflow: name, ...one.counts }] : [];
  });
  const live = indexes.flatMap(({ name }) =>
    [...(read.get(name)?.live ?? [])]
      .sort(([a], [b]) => compare(a, b))
      .map(([status, count]) => ({ workflow: name, status, count })),
  );
  const families: Family[] = [
    {
      name: "workflow_instances_created",
      type: "counter",
      help: "Instances created (once the engine confirmed them).",
      samples: totals.map((row) => ({ labels: { workflow: row.workflow }, value: row.created })),
    },
    {
      name: "workflow_instances_started",
      type: "counter",
      help: "Runs started (a restart starts one more).",
      samples: totals.map((row) => ({ labels: { workflow: row.workflow }, value: row.started })),
    },
    {
      name: "workflow_instances_finished",
      type: "counter",
      help: "Runs that ended, by outcome.",
      samples: totals.flatMap((row) =>
        (["completed", "errored", "terminated"] as const).map((outcome) => ({
          labels: { workflow: row.workflow, outcome },
          value: row[outcome],
        })),
      ),
    },
    {
      name: "workflow_instances",
      type: "gauge",
      help: "Instances per status now.",
      samples: live.map((row) => ({ labels: { workflow: row.workflow, status: row.status }, value: row.count })),
    },
  ];
  return render(families, format);
}

function render(families: Family[], format: Exposition): string {
  const lines: string[] = [];
  for (const family of families) {
    const sample = family.type === "counter" ? `${family.name}_total` : family.name;
    const named = format === "openmetrics" ? family.name : sample;
    lines.push(`# TYPE ${named} ${family.type}`, `# HELP ${named} ${family.help}`);
    for (const { labels, value } of family.samples) {
      const pairs = Object.entries(labels).map(([key, text]) => `${key}="${escapeLabel(text)}"`);
      lines.push(`${sample}{${pairs.join(",")}} ${value}`);
    }
  }
  if (format === "openmetrics") lines.push("# EOF");
  return `${lines.join("\n")}\n`;
}

function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}
