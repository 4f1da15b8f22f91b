import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { BucketSize, Metrics, MetricsBucket } from "../api";
import { ColumnHeads } from "../components/column-heads";
import { type ChartLine, TimeChart } from "../components/time-chart";
import { formatDuration, formatPercent } from "../format";
import { BUCKET_NAMES, bucketTime, endedIn, errorRateOf, slowestOf, type Totals, totalsOf } from "../metrics";

// The colours are the statuses' (styles.css): completed as complete, errored, terminated; and
// a dash for each line that shares its colour's family, so that none is told by colour alone.
const THROUGHPUT: ChartLine[] = [
  { label: "Created", color: "--running", value: (bucket) => bucket.created, dash: [8, 4] },
  { label: "Completed", color: "--ok", value: (bucket) => bucket.completed },
  { label: "Errored", color: "--failed", value: (bucket) => bucket.errored },
  { label: "Terminated", color: "--muted", value: (bucket) => bucket.terminated, dash: [2, 3] },
];

const ERROR_RATE: ChartLine[] = [{ label: "Error rate", color: "--failed", value: (bucket) => bucket.error_rate }];

const DURATIONS: ChartLine[] = [
  { label: "p50", color: "--running", value: (bucket) => bucket.duration_ms.p50 },
  { label: "p95", color: "--wait", value: (bucket) => bucket.duration_ms.p95, dash: [8, 4] },
  { label: "p99", color: "--paused", value: (bucket) => bucket.duration_ms.p99, dash: [2, 3] },
];

/** The summary's counts, each with the dot of its status colour, as the chart draws them. */
const TOTALS: { key: keyof Totals; label: string; status: string }[] = [
  { key: "created", label: "created", status: "running" },
  { key: "completed", label: "completed", status: "complete" },
  { key: "errored", label: "errored", status: "errored" },
  { key: "terminated", label: "terminated", status: "terminated" },
];

const count = (value: number) => value.toLocaleString();

/**
 * Throughput, error rate and durations of a window, a chart each. Beside each chart, its
 * numbers as text, and below them all a table of every bucket: the charts are for a glance,
 * the text for reading (and for screen readers, which the canvases say nothing to).
 */
export function MetricsCharts({ metrics }: { metrics: Metrics }) {
  const { bucket, buckets } = metrics;
  const per = BUCKET_NAMES[bucket];
  const totals = totalsOf(buckets);
  return (
    <>
      <ChartFigure
        name="throughput"
        caption={`Instances per ${per}`}
        chart={<TimeChart buckets={buckets} lines={THROUGHPUT} format={count} wholeNumbers />}
      >
        <p>In this window:</p>
        <ul class="totals">
          {TOTALS.map(({ key, label, status }) => (
            <li key={key} data-total={key}>
              <span class={`dot status-${status}`} aria-hidden="true" />
              <strong>{count(totals[key])}</strong> {label}
            </li>
          ))}
        </ul>
        <p class="muted">{count(totals.started)} runs started (a restart starts one more run of an instance).</p>
      </ChartFigure>
      <ChartFigure
        name="error-rate"
        caption={`Error rate per ${per}`}
        chart={<TimeChart buckets={buckets} lines={ERROR_RATE} format={formatPercent} ceiling={1} gaps />}
      >
        <ErrorRateSummary buckets={buckets} bucket={bucket} totals={totals} />
      </ChartFigure>
      <ChartFigure
        name="duration"
        caption={`Run duration per ${per}: p50, p95, p99`}
        chart={<TimeChart buckets={buckets} lines={DURATIONS} format={formatDuration} gaps />}
      >
        <DurationSummary buckets={buckets} bucket={bucket} total={metrics.total} />
      </ChartFigure>
      <BucketTable metrics={metrics} />
    </>
  );
}

/** A chart with its caption (a heading, to find it by) and its numbers as text beside it. */
function ChartFigure({
  name,
  caption,
  chart,
  children,
}: {
  name: string;
  caption: string;
  chart: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <figure class="card chart-figure" data-chart={name}>
      <figcaption>
        <h2>{caption}</h2>
      </figcaption>
      <div class="chart-body">
        {chart}
        <div class="chart-summary">{children}</div>
      </div>
    </figure>
  );
}

function ErrorRateSummary({
  buckets,
  bucket,
  totals,
}: {
  buckets: MetricsBucket[];
  bucket: BucketSize;
  totals: Totals;
}) {
  const rate = errorRateOf(totals);
  if (rate === null) return <p>No runs ended in this window.</p>;
  let worst: MetricsBucket | undefined;
  for (const each of buckets) if ((each.error_rate ?? -1) > (worst?.error_rate ?? -1)) worst = each;
  return (
    <>
      <p data-summary="error-rate">
        <strong>{formatPercent(rate)}</strong> of the {count(totals.ended)} runs that ended in this window errored (
        {count(totals.errored)}).
      </p>
      {worst?.error_rate != null && totals.errored > 0 && (
        <p>
          Highest: {formatPercent(worst.error_rate)} in the {BUCKET_NAMES[bucket]} from{" "}
          {bucketTime(worst.start, bucket)} ({count(worst.errored)} of {count(endedIn(worst))}).
        </p>
      )}
      <p class="muted">Of the runs that ended in each {BUCKET_NAMES[bucket]}: completed, errored or terminated.</p>
    </>
  );
}

function DurationSummary({
  buckets,
  bucket,
  total,
}: {
  buckets: MetricsBucket[];
  bucket: BucketSize;
  total: Metrics["total"];
}) {
  const per = BUCKET_NAMES[bucket];
  const slowest = slowestOf(buckets);
  const ended = endedIn(total);
  if (ended === 0) return <p>No runs ended in this window, so there are no durations.</p>;
  return (
    <>
      <p data-summary="duration">
        Over the window ({count(ended)} runs ended): <Quantiles of={total} />.
      </p>
      {slowest && (
        <p>
          The slowest {per} by p95, from {bucketTime(slowest.start, bucket)}: <Quantiles of={slowest} />.
        </p>
      )}
      <p class="muted">Start to end of the runs that ended, within ±4.8%.</p>
    </>
  );
}

function Quantiles({ of }: { of: Pick<MetricsBucket, "duration_ms"> }) {
  const { p50, p95, p99 } = of.duration_ms;
  const text = (ms: number | null) => (ms === null ? "—" : formatDuration(ms));
  return (
    <>
      p50 <strong>{text(p50)}</strong>, p95 <strong>{text(p95)}</strong>, p99 <strong>{text(p99)}</strong>
    </>
  );
}

/** Every bucket with something in it, as a table: the charts' numbers, one by one. */
function BucketTable({ metrics }: { metrics: Metrics }) {
  // Drawn only once opened: a day of minutes is 1,440 rows.
  const [open, setOpen] = useState(false);
  const { bucket } = metrics;
  const rows = metrics.buckets.filter((each) => each.created + each.started + endedIn(each) > 0);
  const duration = (ms: number | null) => (ms === null ? "—" : formatDuration(ms));
  return (
    <details class="card" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>
        The numbers per {BUCKET_NAMES[bucket]} ({rows.length} with anything in them)
      </summary>
      {open && rows.length === 0 && <p class="muted">Nothing happened in this window.</p>}
      {open && rows.length > 0 && (
        <div class="table-wrap">
          <table class="numbers">
            <caption class="visually-hidden">The metrics per {BUCKET_NAMES[bucket]}</caption>
            <thead>
              <tr>
                <ColumnHeads
                  names={[
                    "From",
                    "Created",
                    "Started",
                    "Completed",
                    "Errored",
                    "Terminated",
                    "Error rate",
                    "p50",
                    "p95",
                    "p99",
                  ]}
                />
              </tr>
            </thead>
            <tbody>
              {rows.map((each) => (
                <tr key={each.start}>
                  <th scope="row">{bucketTime(each.start, bucket)}</th>
                  <td>{count(each.created)}</td>
                  <td>{count(each.started)}</td>
                  <td>{count(each.completed)}</td>
                  <td>{count(each.errored)}</td>
                  <td>{count(each.terminated)}</td>
                  <td>{each.error_rate === null ? "—" : formatPercent(each.error_rate)}</td>
                  <td>{duration(each.duration_ms.p50)}</td>
                  <td>{duration(each.duration_ms.p95)}</td>
                  <td>{duration(each.duration_ms.p99)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </details>
  );
}
