import { useState } from "preact/hooks";
import type { Attempt, InstanceDetails, Step } from "../api";
import { formatDuration, formatTime } from "../format";
import { asError } from "../hooks";
import { ColumnHeads } from "./column-heads";
import { Facts } from "./facts";
import { JsonBlock, LogOutputBlock } from "./json-block";

type TimedStep = Exclude<Step, { type: "termination" }>;

const TYPE_LABELS: Record<TimedStep["type"], string> = {
  step: "Step",
  rollback: "Rollback",
  sleep: "Sleep",
  waitForEvent: "Wait for event",
};

/** A step.do or a rollback handler: both have attempts, neither a `finished` flag. */
type DoStep = Extract<TimedStep, { type: "step" | "rollback" }>;

function isDo(step: TimedStep): step is DoStep {
  return step.type === "step" || step.type === "rollback";
}

const ms = (iso: string | null | undefined) => (iso ? new Date(iso).getTime() : undefined);

function isOpen(step: TimedStep): boolean {
  return isDo(step) ? step.end === null : !step.finished;
}

/**
 * The step log drawn on a time axis: one lane per step, sleep and wait; a step's attempts are
 * separate bars, failed ones marked; the current step is highlighted. Each lane is a button
 * that opens its details (attempts, errors, output), so the chart is usable by keyboard and
 * its content readable as text.
 */
export function Timeline({
  instance,
  now,
  onLoadOutput,
}: {
  instance: InstanceDetails;
  now: number;
  onLoadOutput: (step: { name: string; type: "step" | "waitForEvent" }) => Promise<unknown>;
}) {
  const [expanded, setExpanded] = useState<string>();
  const timed = instance.steps.filter((step): step is TimedStep => step.type !== "termination");
  const termination = instance.steps.find((step) => step.type === "termination");
  const finished = instance.end !== null;
  const origin = ms(instance.start) ?? ms(instance.queued) ?? now;
  // An open sleep or wait ends in the future (its wake time or timeout): the axis stops at now.
  const until = ms(instance.end) ?? now;
  const span = Math.max(until - origin, 1);
  const position = (from: number, to: number) => {
    const left = Math.min(Math.max((from - origin) / span, 0), 1) * 100;
    const right = Math.min(Math.max((to - origin) / span, 0), 1) * 100;
    return { left: `${left}%`, width: `${Math.max(right - left, 0.6)}%` };
  };
  const current = finished ? undefined : timed.findLast(isOpen);

  if (timed.length === 0) {
    return <p class="muted">No steps yet.</p>;
  }
  return (
    <div class="timeline">
      <div class="axis" aria-hidden="true">
        {[0, 0.25, 0.5, 0.75, 1].map((fraction) => (
          <span key={fraction} style={{ left: `${fraction * 100}%` }}>
            +{formatDuration(span * fraction)}
          </span>
        ))}
      </div>
      <ol class="lanes">
        {timed.map((step, index) => {
          const id = `lane-${index}`;
          const start = ms(step.start);
          const end = isOpen(step) ? now : (ms(step.end) ?? now);
          const failedAttempts = isDo(step) ? step.attempts.filter((attempt) => attempt.success === false) : [];
          const state = laneState(step, instance.status === "errored");
          return (
            <li key={id} class={`lane ${step === current ? "current" : ""}`} data-step={step.name} data-state={state}>
              <button
                type="button"
                class="lane-label"
                aria-expanded={expanded === id}
                aria-controls={`${id}-detail`}
                onClick={() => setExpanded(expanded === id ? undefined : id)}
              >
                <span class="lane-name">{step.name}</span>
                <span class="lane-meta">
                  {TYPE_LABELS[step.type]} · {laneSummary(step, start, end)}
                  {failedAttempts.length > 0 &&
                    ` · ${failedAttempts.length} failed attempt${failedAttempts.length > 1 ? "s" : ""}`}
                  {step === current && " · current"}
                </span>
              </button>
              <div class="track" aria-hidden="true">
                {isDo(step) && step.attempts.length > 0
                  ? step.attempts.map((attempt, number) => (
                      <span
                        key={number}
                        class={`bar attempt ${attemptClass(attempt)}`}
                        style={position(ms(attempt.start) ?? start ?? origin, ms(attempt.end) ?? now)}
                        title={`Attempt ${number + 1}: ${attempt.success === null ? "running" : attempt.success ? "succeeded" : attempt.error?.message}`}
                      />
                    ))
                  : start !== undefined && <span class={`bar ${step.type} ${state}`} style={position(start, end)} />}
              </div>
              {expanded === id && (
                <div id={`${id}-detail`} class="lane-detail">
                  <StepDetail step={step} onLoadOutput={onLoadOutput} />
                </div>
              )}
            </li>
          );
        })}
        {termination && (
          <li class="lane">
            <span class="lane-label static">
              <span class="lane-name">Terminated</span>
              <span class="lane-meta">by {termination.trigger.source}</span>
            </span>
          </li>
        )}
      </ol>
      <ul class="legend" aria-label="Legend">
        <li>
          <span class="swatch ok" /> succeeded
        </li>
        <li>
          <span class="swatch failed" /> failed attempt
        </li>
        <li>
          <span class="swatch running" /> running
        </li>
        <li>
          <span class="swatch sleep" /> sleep
        </li>
        <li>
          <span class="swatch waitForEvent" /> waiting for an event
        </li>
      </ul>
    </div>
  );
}

function laneState(step: TimedStep, instanceErrored: boolean): string {
  if (isDo(step))
    return step.success === null ? (instanceErrored ? "failed" : "running") : step.success ? "ok" : "failed";
  if (step.error) return "failed";
  return step.finished ? "ok" : "running";
}

function attemptClass(attempt: Attempt): string {
  return attempt.success === null ? "running" : attempt.success ? "ok" : "failed";
}

function laneSummary(step: TimedStep, start: number | undefined, end: number): string {
  if (start === undefined) return "not started";
  const took = formatDuration(end - start);
  if (isDo(step)) return step.end === null ? `running for ${took}` : took;
  if (step.finished) return step.type === "waitForEvent" && step.event_type ? `${took}, got ${step.event_type}` : took;
  if (step.type === "sleep") return `sleeping until ${formatTime(step.end)}`;
  return `waiting for ${step.event_type ? `“${step.event_type}”` : "an event"} for ${took}`;
}

function StepDetail({
  step,
  onLoadOutput,
}: {
  step: TimedStep;
  onLoadOutput: (step: { name: string; type: "step" | "waitForEvent" }) => Promise<unknown>;
}) {
  const [fullOutput, setFullOutput] = useState<{ value: unknown } | undefined>();
  const [loadError, setLoadError] = useState<string>();
  return (
    <div class="stack">
      <Facts
        items={[
          ["Started", formatTime(step.start)],
          [isDo(step) ? "Ended" : step.type === "sleep" ? "Wakes" : "Times out", formatTime(step.end)],
          ...(isDo(step)
            ? ([
                [
                  "Retries",
                  `${step.config.retries.limit} × ${String(step.config.retries.delay)}${step.config.retries.backoff ? `, ${step.config.retries.backoff}` : ""}`,
                ],
                ["Timeout", String(step.config.timeout)],
              ] as [string, string][])
            : []),
          ...(step.type === "waitForEvent" ? ([["Event", step.event_type ?? "—"]] as [string, string][]) : []),
        ]}
      />
      {isDo(step) && step.attempts.length > 0 && (
        <table class="attempts">
          <caption>Attempts</caption>
          <thead>
            <tr>
              <ColumnHeads names={["#", "Started", "Took", "Result"]} />
            </tr>
          </thead>
          <tbody>
            {step.attempts.map((attempt, number) => (
              <tr key={number} class={attemptClass(attempt)}>
                <td>{number + 1}</td>
                <td>{formatTime(attempt.start)}</td>
                <td>
                  {attempt.start && attempt.end
                    ? formatDuration(new Date(attempt.end).getTime() - new Date(attempt.start).getTime())
                    : "—"}
                </td>
                <td>
                  {attempt.success === null
                    ? "running"
                    : attempt.success
                      ? "succeeded"
                      : `${attempt.error?.name ?? "Error"}: ${attempt.error?.message ?? ""}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!isDo(step) && step.error && (
        <p class="alert">
          {step.error.name}: {step.error.message}
        </p>
      )}
      {step.type !== "sleep" && (
        <>
          {fullOutput ? (
            <JsonBlock value={fullOutput.value} />
          ) : (
            <LogOutputBlock text={step.output} truncated={step.output_truncated === true} />
          )}
          {step.output_truncated && !fullOutput && (
            <button
              type="button"
              onClick={() =>
                void onLoadOutput({
                  name: step.name,
                  type: step.type === "waitForEvent" ? "waitForEvent" : "step",
                }).then(
                  (value) => setFullOutput({ value }),
                  (error: unknown) => setLoadError(asError(error).message),
                )
              }
            >
              Load the whole output
            </button>
          )}
          {loadError && <p class="alert">{loadError}</p>}
        </>
      )}
    </div>
  );
}
