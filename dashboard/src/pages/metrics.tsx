import { useState } from "preact/hooks";
import type { Api, BucketSize } from "../api";
import { ErrorAlert } from "../components/alert";
import { WorkflowNav } from "../components/workflow-nav";
import { isoToLocal, localToIso } from "../format";
import { useLoad } from "../hooks";
import {
  BUCKET_SIZES,
  linkQueryOf,
  type MetricsView,
  SPAN_LABELS,
  SPANS_OF,
  type Span,
  spanFor,
  viewOf,
  windowOf,
} from "../metrics";
import { href, type Location, navigate } from "../router";
import { FailingSteps } from "./failing-steps";
import { MetricsCharts } from "./metrics-charts";
import { TopErrors } from "./top-errors";
import { loadComparison, VersionComparison } from "./version-comparison";

/** A window back from now is read again this often: about as often as a new bucket starts. */
const REFRESH: Record<BucketSize, { ms: number; every: string }> = {
  "1m": { ms: 10_000, every: "10 seconds" },
  "1h": { ms: 60_000, every: "minute" },
  "1d": { ms: 300_000, every: "5 minutes" },
};

const BUCKET_LABELS: Record<BucketSize, string> = {
  "1m": "Minute (kept 2 days)",
  "1h": "Hour (kept 400 days)",
  "1d": "Day",
};

/**
 * A workflow's metrics over a window: throughput, error rate and durations per bucket, the
 * newest version against the one before, the steps that fail most, and the most frequent errors. The bucket and the
 * window are in the page's link.
 */
export function MetricsPage({ api, workflow, location }: { api: Api; workflow: string; location: Location }) {
  const view = viewOf(location.query);
  const viewKey = JSON.stringify([workflow, view]);
  // A window that ends now moves on; one between fixed times stays as it is.
  const moving = view.window !== "custom" || view.until === undefined;
  const refreshMs = moving ? REFRESH[view.bucket].ms : undefined;
  const metrics = useLoad(() => api.getMetrics(workflow, { ...windowOf(view), bucket: view.bucket }), viewKey, {
    refreshMs,
  });
  const errors = useLoad(() => api.topErrors(workflow, windowOf(view)), viewKey, { refreshMs });
  const steps = useLoad(() => api.stepMetrics(workflow, { ...windowOf(view), bucket: view.bucket }), viewKey, {
    refreshMs,
  });
  const comparison = useLoad(() => loadComparison(api, workflow), `compare:${workflow}`, { refreshMs: 60_000 });

  return (
    <main id="main">
      <WorkflowNav workflow={workflow} current="metrics" />
      <WindowForm
        key={viewKey}
        view={view}
        onApply={(next) => navigate(href(["workflows", workflow, "metrics"], linkQueryOf(next)))}
      />
      <div class="toolbar">
        <button
          type="button"
          onClick={() => void Promise.all([metrics.reload(), errors.reload(), steps.reload(), comparison.reload()])}
        >
          Refresh now
        </button>
        <span class="muted">
          {moving ? `Refreshed every ${REFRESH[view.bucket].every}.` : "Between fixed times: not refreshed."}
        </span>
      </div>
      <ErrorAlert error={metrics.error} title="Could not load the metrics" />
      {metrics.loading && <p class="muted">Loading…</p>}
      {metrics.data && <MetricsCharts metrics={metrics.data} />}
      <VersionComparison workflow={workflow} comparison={comparison} />
      <FailingSteps steps={steps} />
      <TopErrors workflow={workflow} errors={errors} />
    </main>
  );
}

type Draft = { bucket: BucketSize; window: Span | "custom"; since: string; until: string };

/** The bucket and the window; applying them puts them in the page's link. */
function WindowForm({ view, onApply }: { view: MetricsView; onApply: (view: MetricsView) => void }) {
  const [draft, setDraft] = useState<Draft>({
    bucket: view.bucket,
    window: view.window,
    since: view.window === "custom" ? view.since : "",
    until: view.window === "custom" ? (view.until ?? "") : "",
  });
  return (
    <section class="card" aria-label="Bucket and window">
      <form
        class="filter-grid"
        onSubmit={(event) => {
          event.preventDefault();
          onApply(
            draft.window === "custom"
              ? { bucket: draft.bucket, window: "custom", since: draft.since, until: draft.until || undefined }
              : { bucket: draft.bucket, window: draft.window },
          );
        }}
      >
        <label>
          Bucket
          <select
            value={draft.bucket}
            onChange={(event) => {
              const bucket = BUCKET_SIZES.find((size) => size === event.currentTarget.value) ?? draft.bucket;
              // Each bucket offers the windows it can draw: a span it does not becomes its default.
              const window = draft.window === "custom" ? draft.window : spanFor(bucket, draft.window);
              setDraft({ ...draft, bucket, window });
            }}
          >
            {BUCKET_SIZES.map((size) => (
              <option key={size} value={size}>
                {BUCKET_LABELS[size]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Window
          <select
            value={draft.window}
            onChange={(event) => {
              const chosen = SPANS_OF[draft.bucket].find((span) => span === event.currentTarget.value);
              setDraft({ ...draft, window: chosen ?? "custom" });
            }}
          >
            {SPANS_OF[draft.bucket].map((span) => (
              <option key={span} value={span}>
                {SPAN_LABELS[span]}
              </option>
            ))}
            <option value="custom">Between two times</option>
          </select>
        </label>
        {draft.window === "custom" && (
          <>
            <label>
              From
              <input
                type="datetime-local"
                required
                value={isoToLocal(draft.since || null)}
                onChange={(event) => setDraft({ ...draft, since: localToIso(event.currentTarget.value) ?? "" })}
              />
            </label>
            <label>
              Until (empty: now)
              <input
                type="datetime-local"
                value={isoToLocal(draft.until || null)}
                onChange={(event) => setDraft({ ...draft, until: localToIso(event.currentTarget.value, "end") ?? "" })}
              />
            </label>
          </>
        )}
        <div class="actions">
          <button type="submit" class="primary">
            Show
          </button>
        </div>
      </form>
    </section>
  );
}
