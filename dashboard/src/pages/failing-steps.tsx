import type { StepMetrics } from "../api";
import { ErrorAlert } from "../components/alert";
import { ColumnHeads } from "../components/column-heads";
import { formatDuration, formatPercent } from "../format";
import type { Loaded } from "../hooks";

/**
 * The window's steps, those whose attempts fail most first: where retries go and which step
 * ends runs, with how long an attempt takes.
 */
export function FailingSteps({ steps }: { steps: Loaded<{ steps: StepMetrics[] }> }) {
  const rows = steps.data?.steps ?? [];
  const duration = (ms: number | null) => (ms === null ? "—" : formatDuration(ms));
  return (
    <section aria-labelledby="steps-title">
      <h2 id="steps-title">Steps</h2>
      <p class="muted">
        Attempts of each step that ended in the window, the steps whose attempts fail most first. A failed attempt is
        retried, or ends the run: "runs ended" counts the runs that errored by that step's failure.
      </p>
      <ErrorAlert error={steps.error} title="Could not load the steps" />
      {steps.loading && <p class="muted">Loading…</p>}
      {steps.data && rows.length === 0 && <p class="muted">No step attempt ended in this window.</p>}
      {rows.length > 0 && (
        <div class="table-wrap">
          <table class="failing-steps">
            <caption class="visually-hidden">Steps by failed attempts</caption>
            <thead>
              <tr>
                <ColumnHeads
                  names={["Step", "Attempts", "Failed", "Failure rate", "Runs ended", "p50 attempt", "p95 attempt"]}
                />
              </tr>
            </thead>
            <tbody>
              {rows.map((step) => (
                <tr key={step.step} data-step={step.step}>
                  <th scope="row">{step.step}</th>
                  <td data-field="attempts">{step.attempts.toLocaleString()}</td>
                  <td data-field="failed">{step.failed_attempts.toLocaleString()}</td>
                  <td>{step.retry_rate === null ? "—" : formatPercent(step.retry_rate)}</td>
                  <td data-field="runs-ended">{step.instances_failed.toLocaleString()}</td>
                  <td>{duration(step.duration_ms.p50)}</td>
                  <td>{duration(step.duration_ms.p95)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
