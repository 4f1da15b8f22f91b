import type { Api, BucketSize, Version, VersionMetrics } from "../api";
import { ErrorAlert } from "../components/alert";
import { ColumnHeads } from "../components/column-heads";
import { formatAgo, formatDuration, formatPercent, formatTime, shortId } from "../format";
import type { Loaded } from "../hooks";
import { BUCKET_NAMES, comparisonWindowOf, errorRateOf, totalsOf } from "../metrics";
import { href } from "../router";

export type Comparison = {
  versions: Version[];
  /** Present when there are two versions to compare. */
  period?: { since: string; bucket: BucketSize; clipped: boolean };
  metrics?: VersionMetrics;
};

/** The versions, newest first, and with two or more, the metrics of each since the newest was created. */
export async function loadComparison(api: Api, workflow: string): Promise<Comparison> {
  const versions = await api.listVersions(workflow);
  const [newest, previous] = versions;
  if (!newest || !previous) return { versions };
  const period = comparisonWindowOf(newest.created_on);
  const metrics = await api.getMetricsByVersion(workflow, { since: period.since, bucket: period.bucket });
  return { versions, period, metrics };
}

/**
 * Did the newest version make things worse? Its error rate and durations against the version
 * before it, both over the time since the newest was created (the previous one's instances
 * that still ran then, and any started on it since).
 */
export function VersionComparison({ workflow, comparison }: { workflow: string; comparison: Loaded<Comparison> }) {
  const { data } = comparison;
  const [newest, previous] = data?.versions ?? [];
  return (
    <section class="card" aria-labelledby="compare-title">
      <h2 id="compare-title">Newest version against the one before</h2>
      <ErrorAlert error={comparison.error} title="Could not compare the versions" />
      {comparison.loading && <p class="muted">Loading…</p>}
      {data && !newest && <p class="muted">The workflow has no versions yet.</p>}
      {data && newest && !previous && (
        <p class="muted" data-comparison="single">
          Only one version so far (
          <a href={href(["workflows", workflow, "versions"])} title={newest.id}>
            {shortId(newest.id)}
          </a>
          ): nothing to compare it with.
        </p>
      )}
      {newest && previous && data?.period && data.metrics && (
        <ComparisonTable versions={[newest, previous]} period={data.period} metrics={data.metrics} />
      )}
    </section>
  );
}

function ComparisonTable({
  versions,
  period,
  metrics,
}: {
  versions: [Version, Version];
  period: NonNullable<Comparison["period"]>;
  metrics: VersionMetrics;
}) {
  const [newest] = versions;
  const per = BUCKET_NAMES[period.bucket];
  return (
    <>
      <p>
        Since the newest version was created, {formatTime(newest.created_on)} ({formatAgo(newest.created_on)})
        {period.clipped && `; the metrics kept go back to ${formatTime(period.since)}`}.
      </p>
      <div class="table-wrap">
        <table class="comparison">
          <caption class="visually-hidden">The two newest versions since the newest was created</caption>
          <thead>
            <tr>
              <ColumnHeads names={["Version", "Created", "Runs ended", "Errored", "Error rate", "p95 duration"]} />
            </tr>
          </thead>
          <tbody>
            {versions.map((version, index) => {
              // A version with nothing in the period has no group: all zeros.
              const group = metrics.groups.find(
                (each) => "version_id" in each.key && each.key.version_id === version.id,
              );
              const totals = totalsOf(group?.buckets ?? []);
              const rate = errorRateOf(totals);
              const p95 = group?.total.duration_ms.p95 ?? null;
              return (
                <tr key={version.id} data-version={version.id}>
                  <th scope="row" title={version.id}>
                    {shortId(version.id)} <span class="badge">{index === 0 ? "newest" : "previous"}</span>
                  </th>
                  <td>{formatTime(version.created_on)}</td>
                  <td data-field="ended">{totals.ended.toLocaleString()}</td>
                  <td data-field="errored">{totals.errored.toLocaleString()}</td>
                  <td data-field="error-rate">{rate === null ? "— (none ended)" : formatPercent(rate)}</td>
                  <td data-field="p95">{p95 === null ? "—" : formatDuration(p95)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p class="muted">
        The p95 is over every run of the version that ended since then (start to end, within ±4.8%), counted per {per}.
      </p>
    </>
  );
}
