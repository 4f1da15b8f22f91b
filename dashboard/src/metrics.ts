import type { BucketSize, MetricsBucket, MetricsWindow } from "./api";

export const BUCKET_SIZES: readonly BucketSize[] = ["1m", "1h", "1d"];

/** A bucket as text says it: "the busiest minute". */
export const BUCKET_NAMES: Record<BucketSize, string> = { "1m": "minute", "1h": "hour", "1d": "day" };

const HOUR = 3_600_000;

/** The windows offered, back from now. */
export const SPANS = {
  "1h": HOUR,
  "6h": 6 * HOUR,
  "24h": 24 * HOUR,
  "7d": 7 * 24 * HOUR,
  "30d": 30 * 24 * HOUR,
} as const;
export type Span = keyof typeof SPANS;

export const SPAN_LABELS: Record<Span, string> = {
  "1h": "Last hour",
  "6h": "Last 6 hours",
  "24h": "Last 24 hours",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
};

/**
 * The windows of each bucket: each more than a handful of buckets and at most the 2,000 one
 * read answers, minutes no further back than the 2 days they are kept. The errors, counted by
 * the hour, take the same window: 30 days is 720 hours of them.
 */
export const SPANS_OF: Record<BucketSize, readonly Span[]> = {
  "1m": ["1h", "6h", "24h"],
  "1h": ["6h", "24h", "7d", "30d"],
  "1d": ["7d", "30d"],
};

/** The API's default window of each bucket. */
const DEFAULT_SPAN: Record<BucketSize, Span> = { "1m": "1h", "1h": "24h", "1d": "30d" };

/**
 * The metrics page's choice, as its link keeps it: a bucket and a window, either back from now
 * (it moves on as the page refreshes) or between fixed times (a link to an incident).
 */
export type MetricsView = { bucket: BucketSize } & (
  | { window: Span }
  | { window: "custom"; since: string; until: string | undefined }
);

const isBucket = (value: string | null): value is BucketSize => BUCKET_SIZES.some((size) => size === value);
const isSpan = (value: string | null): value is Span => value !== null && Object.hasOwn(SPANS, value);

/**
 * The view a link asks for. What it leaves out (or gets wrong) is minutes over the last hour:
 * fresh runs then draw a line, where hours over a day drew them as one dot at the edge.
 */
export function viewOf(query: URLSearchParams): MetricsView {
  const asked = query.get("bucket");
  const bucket = isBucket(asked) ? asked : "1m";
  const since = query.get("since");
  if (since) return { bucket, window: "custom", since, until: query.get("until") ?? undefined };
  const span = query.get("window");
  return { bucket, window: isSpan(span) && SPANS_OF[bucket].includes(span) ? span : DEFAULT_SPAN[bucket] };
}

/** The view as the page's link says it. */
export function linkQueryOf(view: MetricsView): Record<string, string | undefined> {
  return view.window === "custom"
    ? { bucket: view.bucket, since: view.since, until: view.until }
    : { bucket: view.bucket, window: view.window };
}

/** A span the bucket offers: the one given, or the bucket's default. */
export function spanFor(bucket: BucketSize, span: Span | undefined): Span {
  return span !== undefined && SPANS_OF[bucket].includes(span) ? span : DEFAULT_SPAN[bucket];
}

/** The window to read now: a span ends now (`until` left to the API, which rounds it up). */
export function windowOf(view: MetricsView, now = Date.now()): MetricsWindow {
  if (view.window === "custom") return { since: view.since, until: view.until };
  return { since: new Date(now - SPANS[view.window]).toISOString() };
}

export type Totals = {
  created: number;
  started: number;
  completed: number;
  errored: number;
  terminated: number;
  /** Runs that ended: completed, errored or terminated. */
  ended: number;
};

export function endedIn(bucket: Pick<MetricsBucket, "completed" | "errored" | "terminated">): number {
  return bucket.completed + bucket.errored + bucket.terminated;
}

export function totalsOf(buckets: readonly MetricsBucket[]): Totals {
  const totals: Totals = { created: 0, started: 0, completed: 0, errored: 0, terminated: 0, ended: 0 };
  for (const bucket of buckets) {
    totals.created += bucket.created;
    totals.started += bucket.started;
    totals.completed += bucket.completed;
    totals.errored += bucket.errored;
    totals.terminated += bucket.terminated;
    totals.ended += endedIn(bucket);
  }
  return totals;
}

/** The share of the ended runs that errored, as the API computes it per bucket; null when none ended. */
export function errorRateOf(totals: Totals): number | null {
  return totals.ended === 0 ? null : totals.errored / totals.ended;
}

/** The bucket whose runs took longest at the 95th percentile, or none. */
export function slowestOf(buckets: readonly MetricsBucket[]): MetricsBucket | undefined {
  let slowest: MetricsBucket | undefined;
  for (const bucket of buckets) {
    const p95 = bucket.duration_ms.p95;
    if (p95 !== null && p95 > (slowest?.duration_ms.p95 ?? -1)) slowest = bucket;
  }
  return slowest;
}

const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const minuteFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** When a bucket starts, to its precision: a day by its date, a minute or an hour by its time. */
export function bucketTime(start: string, bucket: BucketSize): string {
  return (bucket === "1d" ? dayFormat : minuteFormat).format(new Date(start));
}

/** How far back the hour buckets go (400 days), less an hour of margin for the rounding. */
const HOURS_KEPT_MS = 400 * 24 * HOUR - HOUR;

/**
 * The window to compare versions over: since the newest was created, back no further than the
 * hours are kept; by the hour while that is within the 2,000 buckets of one read, else by the
 * day (the API rounds the window out to whole buckets, hence the margin).
 */
export function comparisonWindowOf(
  createdOn: string,
  now = Date.now(),
): { since: string; bucket: BucketSize; clipped: boolean } {
  const created = Date.parse(createdOn);
  const since = Math.max(created, now - HOURS_KEPT_MS);
  const bucket = (now - since) / HOUR < 1_990 ? "1h" : "1d";
  return { since: new Date(since).toISOString(), bucket, clipped: since > created };
}
