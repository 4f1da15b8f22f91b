import { useState } from "preact/hooks";
import type { Api, BulkJob, BulkOutcome } from "../api";
import { ErrorAlert } from "../components/alert";
import { ColumnHeads } from "../components/column-heads";
import { ConfirmDialog } from "../components/confirm";
import { FilterSummary } from "../components/filter-summary";
import { CursorPager, useCursorTrail } from "../components/pager";
import { StatusBadge } from "../components/status";
import { WorkflowNav } from "../components/workflow-nav";
import { formatTime } from "../format";
import { useAction, useLoad } from "../hooks";
import { href } from "../router";

const isRunning = (job: BulkJob) => job.status === "queued" || job.status === "running";

/** A workflow's bulk jobs, newest first. */
export function BulkJobsPage({ api, workflow }: { api: Api; workflow: string }) {
  // Refreshed while a job runs; a new job opens its own page, and "Refresh now" shows any other.
  const jobs = useLoad(() => api.listBulkJobs(workflow), `bulk:${workflow}`, {
    refreshMs: 3000,
    refreshWhile: (list) => list.some(isRunning),
  });
  return (
    <main id="main">
      <WorkflowNav workflow={workflow} current="bulk" />
      <div class="toolbar">
        <button type="button" onClick={() => void jobs.reload()}>
          Refresh now
        </button>
      </div>
      <ErrorAlert error={jobs.error} title="Could not load bulk jobs" />
      {jobs.data?.length === 0 && (
        <p class="muted">
          No bulk jobs yet: select instances on the Instances page to pause, resume or terminate them.
        </p>
      )}
      {jobs.data && jobs.data.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <ColumnHeads names={["Job", "Action", "Status", "Progress", "Created"]} />
              </tr>
            </thead>
            <tbody>
              {jobs.data.map((job) => (
                <tr key={job.id}>
                  <th scope="row">
                    <a href={href(["workflows", workflow, "bulk", job.id])}>{job.id}</a>
                  </th>
                  <td>{job.action}</td>
                  <td>{job.status}</td>
                  <td>
                    <Progress job={job} />
                  </td>
                  <td>{formatTime(job.created_on)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}

/** How far a job is, as a bar and as numbers. */
function Progress({ job }: { job: BulkJob }) {
  const done = job.total - job.pending;
  const part = (count: number) => ({ width: `${job.total ? (count / job.total) * 100 : 0}%` });
  return (
    <div class="progress">
      <div
        class="progress-bar"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={job.total}
        aria-valuenow={done}
        aria-label={`${done} of ${job.total} done`}
      >
        <span class="succeeded" style={part(job.succeeded)} />
        <span class="skipped" style={part(job.skipped)} />
        <span class="failed" style={part(job.failed)} />
      </div>
      <span class="progress-text">
        {done} / {job.total} · {job.succeeded} succeeded · {job.skipped} skipped · {job.failed} failed
      </span>
    </div>
  );
}

/** One job's live progress and its ledger: what happened to each instance, and why. */
export function BulkJobPage({
  api,
  workflow,
  jobId,
  canEdit,
}: {
  api: Api;
  workflow: string;
  jobId: string;
  canEdit: boolean;
}) {
  const [outcome, setOutcome] = useState<BulkOutcome | "">("");
  const [confirmCancel, setConfirmCancel] = useState(false);
  const cancelling = useAction();
  const job = useLoad(() => api.getBulkJob(workflow, jobId), `job:${jobId}`, {
    refreshMs: 1000,
    refreshWhile: isRunning,
  });
  const running = job.data ? isRunning(job.data) : true;

  const cancel = () =>
    cancelling.run(async () => {
      try {
        await api.cancelBulkJob(workflow, jobId);
      } finally {
        setConfirmCancel(false);
      }
      await job.reload();
    });

  return (
    <main id="main">
      <WorkflowNav workflow={workflow} current="bulk" />
      <h2>
        Job <code>{jobId}</code>
      </h2>
      <ErrorAlert error={job.error} title="Could not load the job" />
      {job.data && (
        <section class="card" aria-label="Progress">
          <p>
            <strong class="job-status" data-status={job.data.status}>
              {job.data.action} · {job.data.status}
            </strong>{" "}
            <span class="muted">
              created {formatTime(job.data.created_on)}
              {job.data.ended_on && `, ended ${formatTime(job.data.ended_on)}`}
            </span>
          </p>
          {job.data.filter && <FilterSummary filter={job.data.filter} />}
          <Progress job={job.data} />
          {canEdit && running && (
            <button type="button" class="danger" onClick={() => setConfirmCancel(true)}>
              Cancel job…
            </button>
          )}
          <ErrorAlert error={cancelling.error} title="The job could not be cancelled" />
        </section>
      )}
      {confirmCancel && (
        <ConfirmDialog
          title="Cancel this job?"
          confirmLabel="Cancel job"
          danger
          busy={cancelling.busy}
          onConfirm={() => void cancel()}
          onCancel={() => setConfirmCancel(false)}
        >
          <p>It stops between chunks; the instances it has not reached are skipped.</p>
        </ConfirmDialog>
      )}
      <section aria-labelledby="results-title">
        <h2 id="results-title">Results</h2>
        <label class="inline">
          Outcome
          <select value={outcome} onChange={(event) => setOutcome(event.currentTarget.value as BulkOutcome | "")}>
            <option value="">Any</option>
            <option value="succeeded">Succeeded</option>
            <option value="skipped">Skipped</option>
            <option value="failed">Failed</option>
            <option value="pending">Pending</option>
          </select>
        </label>
        <Results key={outcome} api={api} workflow={workflow} jobId={jobId} outcome={outcome} running={running} />
      </section>
    </main>
  );
}

/** A job's ledger, a page at a time, refreshed while the job runs. */
function Results({
  api,
  workflow,
  jobId,
  outcome,
  running,
}: {
  api: Api;
  workflow: string;
  jobId: string;
  outcome: BulkOutcome | "";
  running: boolean;
}) {
  const trail = useCursorTrail();
  const results = useLoad(
    () => api.bulkResults(workflow, jobId, { ...(outcome ? { outcome } : {}), cursor: trail.cursor }),
    // Read once more when the job ends.
    `${trail.cursor ?? ""}:${running}`,
    { refreshMs: running ? 2000 : undefined },
  );
  const rows = results.data?.result ?? [];
  const total = results.data?.info.total_count;
  return (
    <>
      <ErrorAlert error={results.error} title="Could not load results" />
      <div class="table-wrap">
        <table class="results">
          <caption class="visually-hidden">What the job did to each instance</caption>
          <thead>
            <tr>
              <ColumnHeads names={["Instance", "Outcome", "Before", "After", "Why", "Attempts"]} />
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.instance_id} data-result={row.instance_id} data-outcome={row.outcome}>
                <th scope="row">
                  <a href={href(["workflows", workflow, "instances", row.instance_id])}>{row.instance_id}</a>
                </th>
                <td class={`outcome-${row.outcome}`}>{row.outcome}</td>
                <td>{row.status_before ? <StatusBadge status={row.status_before} /> : "—"}</td>
                <td>{row.status_after ? <StatusBadge status={row.status_after} /> : "—"}</td>
                <td>{row.error ? `${row.error.name}: ${row.error.message}` : (row.reason ?? "")}</td>
                <td>{row.attempts}</td>
              </tr>
            ))}
            {!results.loading && rows.length === 0 && (
              <tr>
                <td colSpan={6} class="muted">
                  No results with this outcome.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <CursorPager
        label={total === undefined ? "Pages of results" : `Pages of ${total} results`}
        trail={trail}
        nextCursor={results.data?.info.cursor}
      />
    </>
  );
}
