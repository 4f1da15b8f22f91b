import { and, asc, desc, eq, gte, inArray, isNull, lt, type SQL, sql } from "drizzle-orm";
import {
  errorMetrics,
  instanceMetrics,
  instanceStatusCounts,
  labelMetrics,
  type MetricBucket,
  stepMetrics,
  workflows,
} from "../db/schema";
import type { LabelSelector } from "../domain/labels";
import { type Histogram, METRIC_BUCKET_MS, mergeHistograms, quantiles } from "../domain/metrics";
import { ApiError } from "../lib/errors";
import { toIso } from "../lib/time";
import type { Deps } from "./deps";
import { expiredCounts, withoutExpired } from "../index/reads/expired";
import { findWorkflow } from "./workflows";

export const BUCKET_SIZES = { "1m": METRIC_BUCKET_MS.m, "1h": METRIC_BUCKET_MS.h, "1d": 86_400_000 } as const;
export type BucketSize = keyof typeof BUCKET_SIZES;

/** How long the maintained buckets are kept: minutes for two days, hours (and so days) for 400. */
export const MINUTE_RETENTION_MS = 2 * 86_400_000;
export const HOUR_RETENTION_MS = 400 * 86_400_000;

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
 * maintained, summed per bucket (days from hours) in one indexed range read, with duration
 * quantiles from the merged histograms. Every bucket of the window is present, empty ones as
 * zeros.
 */
export async function readMetrics(
  deps: Deps,
  workflowName: string,
  window: MetricsWindow & { groupBy?: MetricsGrouping | undefined; labels?: LabelSelector | undefined },
): Promise<MetricsResult> {
  const workflow = await findWorkflow(deps.db, workflowName);
  const { from, to, size } = windowOf(window);
  const stored: MetricBucket = window.bucket === "1m" ? "m" : "h";
  const label = metricLabelOf(workflow, window.groupBy, window.labels);
  const table = label ? labelMetrics : instanceMetrics;
  // The size inlined: a bound number is a REAL to SQLite, and the division must be an integer one.
  const start = sql<number>`(${table.start} / ${sql.raw(String(size))}) * ${sql.raw(String(size))}`;
  const series =
    window.groupBy === "version"
      ? sql<string>`${instanceMetrics.versionId}`
      : label?.grouped
        ? sql<string>`${labelMetrics.value}`
        : sql<string>`''`;
  const rows = await deps.db
    .select({
      start,
      version: series,
      created: sql<number>`sum(${table.created})`,
      started: sql<number>`sum(${table.started})`,
      completed: sql<number>`sum(${table.completed})`,
      errored: sql<number>`sum(${table.errored})`,
      terminated: sql<number>`sum(${table.terminated})`,
      // The histograms as one JSON array of objects (not of strings, which would be parsed twice).
      durations: sql<string | null>`'[' || group_concat(${table.durations}) || ']'`,
    })
    .from(table)
    .where(
      and(
        eq(table.workflowId, workflow.id),
        eq(table.bucket, stored),
        gte(table.start, from),
        lt(table.start, to),
        label ? eq(labelMetrics.key, label.key) : undefined,
        label?.values ? inArray(labelMetrics.value, label.values) : undefined,
      ),
    )
    .groupBy(start, series)
    .orderBy(start);

  type Collected = { buckets: Map<number, MetricsBucket>; counts: Counts; histogram: Histogram };
  const collected = new Map<string, Collected>();
  for (const row of rows) {
    const into = collected.get(row.version) ?? { buckets: new Map(), counts: { ...ZERO }, histogram: new Map() };
    collected.set(row.version, into);
    const histogram = mergeHistograms(new Map(), row.durations);
    into.buckets.set(row.start, bucketOf(row.start, row, histogram));
    for (const [bin, count] of histogram) into.histogram.set(bin, (into.histogram.get(bin) ?? 0) + count);
    for (const key of COUNTED) into.counts[key] += row[key];
  }
  const seriesOf = (one: Collected | undefined): MetricsSeries => {
    const buckets: MetricsBucket[] = [];
    for (let at = from; at < to; at += size) buckets.push(one?.buckets.get(at) ?? bucketOf(at, ZERO, new Map()));
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
  const workflow = await findWorkflow(deps.db, workflowName);
  const { from, to, size } = windowOf(window);
  const start = sql<number>`(${stepMetrics.start} / ${sql.raw(String(size))}) * ${sql.raw(String(size))}`;
  const rows = await deps.db
    .select({
      step: stepMetrics.step,
      start,
      attempts: sql<number>`sum(${stepMetrics.attempts})`,
      failed: sql<number>`sum(${stepMetrics.failed})`,
      instancesFailed: sql<number>`sum(${stepMetrics.instancesFailed})`,
      durations: sql<string | null>`'[' || group_concat(${stepMetrics.durations}) || ']'`,
    })
    .from(stepMetrics)
    .where(
      and(
        eq(stepMetrics.workflowId, workflow.id),
        eq(stepMetrics.bucket, window.bucket === "1m" ? "m" : "h"),
        gte(stepMetrics.start, from),
        lt(stepMetrics.start, to),
      ),
    )
    .groupBy(stepMetrics.step, start);
  const steps = new Map<string, { totals: StepCounts; histogram: Histogram; buckets: Map<number, StepBucket> }>();
  for (const row of rows) {
    const step = steps.get(row.step) ?? {
      totals: { attempts: 0, failed_attempts: 0, instances_failed: 0 },
      histogram: new Map(),
      buckets: new Map<number, StepBucket>(),
    };
    steps.set(row.step, step);
    step.totals.attempts += row.attempts;
    step.totals.failed_attempts += row.failed;
    step.totals.instances_failed += row.instancesFailed;
    const histogram = mergeHistograms(new Map(), row.durations);
    mergeHistograms(step.histogram, row.durations);
    const [p50 = null, p95 = null] = quantiles(histogram, [0.5, 0.95]);
    step.buckets.set(row.start, {
      start: new Date(row.start).toISOString(),
      attempts: row.attempts,
      failed_attempts: row.failed,
      instances_failed: row.instancesFailed,
      duration_ms: { p50, p95 },
    });
  }
  const result = [...steps].map(([name, { totals, histogram, buckets }]): StepMetrics => {
    const [p50 = null, p95 = null] = quantiles(histogram, [0.5, 0.95]);
    const all: StepBucket[] = [];
    for (let at = from; at < to; at += size) {
      all.push(
        buckets.get(at) ?? {
          start: new Date(at).toISOString(),
          attempts: 0,
          failed_attempts: 0,
          instances_failed: 0,
          duration_ms: { p50: null, p95: null },
        },
      );
    }
    return {
      step: name,
      ...totals,
      retry_rate: totals.attempts === 0 ? null : totals.failed_attempts / totals.attempts,
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
  const workflow = await findWorkflow(deps.db, workflowName);
  // One aggregate over the hours, whatever their number: no bucket limit applies.
  const { from, to } = windowOf({ since: window.since, until: window.until, bucket: "1h" }, Number.POSITIVE_INFINITY);
  const rows = await deps.db
    .select({
      name: errorMetrics.name,
      shape: errorMetrics.shape,
      count: sql<number>`sum(${errorMetrics.count})`,
      firstSeen: sql<number>`min(${errorMetrics.firstSeen})`,
      lastSeen: sql<number>`max(${errorMetrics.lastSeen})`,
      versions: sql<string>`json_group_array(distinct ${errorMetrics.versionId})`,
      // A bare column beside min() and max(): SQLite takes it from the row of one of them, so the
      // example is an instance of the group's first or last hour.
      example: sql<string>`${errorMetrics.exampleInstanceId}`,
    })
    .from(errorMetrics)
    .where(and(eq(errorMetrics.workflowId, workflow.id), gte(errorMetrics.start, from), lt(errorMetrics.start, to)))
    .groupBy(errorMetrics.name, errorMetrics.shape)
    .orderBy(desc(sql`sum(${errorMetrics.count})`), asc(errorMetrics.name))
    .limit(window.limit);
  return rows.map((row) => ({
    name: row.name,
    message: row.shape,
    count: row.count,
    first_seen: toIso(new Date(row.firstSeen)) ?? "",
    last_seen: toIso(new Date(row.lastSeen)) ?? "",
    versions: (JSON.parse(row.versions) as string[]).sort(),
    example_instance_id: row.example,
  }));
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
  const rows = await totalsSince(deps, and(gte(instanceMetrics.start, from), lt(instanceMetrics.start, to)), only);
  return {
    since: new Date(from).toISOString(),
    until: new Date(to).toISOString(),
    workflows: rows.map((row) => {
      // The window as one bucket: the same error rate and quantiles as a series' total.
      const { created, started, completed, errored, terminated, error_rate, duration_ms } = bucketOf(
        from,
        row,
        mergeHistograms(new Map(), row.durations),
      );
      const counts = { created, started, completed, errored, terminated };
      return { workflow: row.workflow, ...counts, error_rate, duration_p95_ms: duration_ms.p95 };
    }),
  };
}

/** The workflows a caller may see: a scoped token's, or all (null). */
export type Visible = string[] | null;

function visible(only: Visible): SQL | undefined {
  return and(isNull(workflows.deletedOn), only ? inArray(workflows.name, only) : undefined);
}

/** Per workflow (not deleted, visible), sums of the hour buckets in `range`, with their histograms. */
async function totalsSince(deps: Deps, range: SQL | undefined, only: Visible) {
  return deps.db
    .select({
      workflow: workflows.name,
      created: sql<number>`coalesce(sum(${instanceMetrics.created}), 0)`,
      started: sql<number>`coalesce(sum(${instanceMetrics.started}), 0)`,
      completed: sql<number>`coalesce(sum(${instanceMetrics.completed}), 0)`,
      errored: sql<number>`coalesce(sum(${instanceMetrics.errored}), 0)`,
      terminated: sql<number>`coalesce(sum(${instanceMetrics.terminated}), 0)`,
      durations: sql<string | null>`'[' || group_concat(${instanceMetrics.durations}) || ']'`,
    })
    .from(workflows)
    .leftJoin(
      instanceMetrics,
      and(eq(instanceMetrics.workflowId, workflows.id), eq(instanceMetrics.bucket, "h"), range),
    )
    .where(visible(only))
    .groupBy(workflows.id)
    .orderBy(workflows.name);
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
 * instances per status now; of the workflows the caller may see. In the OpenMetrics format (a counter family `x` with samples
 * `x_total`, ending in `# EOF`) or in Prometheus' own text format (the family named `x_total`).
 */
export async function exposition(deps: Deps, format: Exposition, only: Visible): Promise<string> {
  const [totals, counts, expired] = await Promise.all([
    totalsSince(deps, undefined, only),
    deps.db
      .select({
        workflowId: instanceStatusCounts.workflowId,
        workflow: workflows.name,
        status: instanceStatusCounts.status,
        count: instanceStatusCounts.count,
      })
      .from(instanceStatusCounts)
      .innerJoin(workflows, eq(workflows.id, instanceStatusCounts.workflowId))
      .where(visible(only))
      .orderBy(workflows.name, instanceStatusCounts.status),
    // Instances past their retention are gone, though the pass may not have removed them yet.
    expiredCounts(deps.db, Date.now()),
  ]);
  const live = counts.map((row) => ({
    ...row,
    count: withoutExpired({ [row.status]: row.count }, expired, row)[row.status] ?? 0,
  }));
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
