import { useState } from "preact/hooks";
import type { Api, BulkJob, BulkOutcome, BulkResult } from "../api";
import { ErrorAlert } from "../components/alert";
import { ColumnHeads } from "../components/column-heads";
import { ConfirmDialog } from "../components/confirm";
import { StatusBadge } from "../components/status";
import { WorkflowNav } from "../components/workflow-nav";
import { formatTime } from "../format";
import { useAction, useLoad } from "../hooks";
import { href } from "../router";

const RUNNING = new Set(["queued", "running"]);

/** A workflow's bulk jobs, newest first. */
export function BulkJobsPage({ api, workflow }: { api: Api; workflow: string }) {
  const jobs = useLoad(() => api.listBulkJobs(workflow), `bulk:${workflow}`, 3000);
  return (
    <main id="main">
      <WorkflowNav workflow={workflow} current="bulk" />
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
  const job = useLoad(() => api.getBulkJob(workflow, jobId), `job:${jobId}`, 1000);
  const running = job.data ? RUNNING.has(job.data.status) : true;
  const results = useLoad(
    () => allResults(api, workflow, jobId, outcome || undefined),
    // Polled while the job runs, and read once more when it ends.
    `results:${jobId}:${outcome}:${running}`,
    running ? 2000 : undefined,
  );

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
        <ErrorAlert error={results.error} title="Could not load results" />
        <div class="table-wrap">
          <table class="results">
            <thead>
              <tr>
                <ColumnHeads names={["Instance", "Outcome", "Before", "After", "Why", "Attempts"]} />
              </tr>
            </thead>
            <tbody>
              {(results.data ?? []).map((row) => (
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
            </tbody>
          </table>
        </div>
      </section>
    </main>
  );
}

/** The first thousand rows of a job's ledger: enough to read on a page. */
async function allResults(api: Api, workflow: string, jobId: string, outcome?: BulkOutcome): Promise<BulkResult[]> {
  const rows: BulkResult[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.bulkResults(workflow, jobId, {
      ...(outcome ? { outcome } : {}),
      ...(cursor ? { cursor } : {}),
    });
    rows.push(...page.result);
    cursor = page.info.cursor;
  } while (cursor && rows.length < 1000);
  return rows;
}
