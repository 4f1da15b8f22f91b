import { useEffect, useRef, useState } from "preact/hooks";
import { isFinished } from "../../../src/domain/instance-status";
import type { Api, InstanceDetails, Labels, RestartPoint, StatusAction } from "../api";
import { ErrorAlert } from "../components/alert";
import { ConfirmDialog } from "../components/confirm";
import { Facts } from "../components/facts";
import { JsonBlock, LogOutputBlock } from "../components/json-block";
import { LabelChips } from "../components/label-chips";
import { StatusBadge } from "../components/status";
import { Timeline } from "../components/timeline";
import { formatDuration, formatTime } from "../format";
import { parseJson, useAction, useLoad } from "../hooks";
import { useInstanceEvents } from "../live";
import { href } from "../router";

/**
 * One instance: what it was given, its labels, what it returned or why it failed, its timeline,
 * and actions.
 */
export function InstancePage({
  api,
  workflow,
  instanceId,
  can,
}: {
  api: Api;
  workflow: string;
  instanceId: string;
  can: { edit: boolean; events: boolean };
}) {
  const [live, setLive] = useState(true);
  const instance = useLoad(() => api.getInstance(workflow, instanceId), `${workflow}/${instanceId}`);
  const data = instance.data;
  const finished = data ? isFinished(data.status) : false;
  // Followed through its event stream, which ends with the instance: nothing is polled.
  useInstanceEvents(api, workflow, instanceId, live && data !== undefined && !finished, () => void instance.reload());
  const now = Date.now();

  return (
    <main id="main">
      <header class="page-header">
        <p class="breadcrumb">
          <a href={href([])}>Workflows</a> / <a href={href(["workflows", workflow])}>{workflow}</a> /
        </p>
        <h1 class="instance-title">
          {instanceId} {data && <StatusBadge status={data.status} />}
        </h1>
      </header>
      <ErrorAlert error={instance.error} title="Could not load the instance" />
      {data && (
        <>
          <Facts
            class="card"
            items={[
              ["Version", <a href={href(["workflows", workflow, "versions"])}>{data.versionId}</a>],
              ["Trigger", data.trigger.source],
              ["Queued", formatTime(data.queued)],
              ["Started", formatTime(data.start)],
              ["Ended", formatTime(data.end)],
              [
                "Duration",
                data.start
                  ? formatDuration((data.end ? new Date(data.end).getTime() : now) - new Date(data.start).getTime())
                  : "—",
              ],
            ]}
          />
          <LabelsCard
            api={api}
            workflow={workflow}
            instanceId={instanceId}
            labels={data.labels}
            canEdit={can.edit}
            onChanged={() => void instance.reload()}
          />
          <div class="toolbar">
            <label class="inline">
              <input type="checkbox" checked={live} onChange={(event) => setLive(event.currentTarget.checked)} />
              {finished ? "Follow live (the instance has finished)" : "Follow live"}
            </label>
            <button type="button" onClick={() => void instance.reload()}>
              Refresh now
            </button>
          </div>
          {(can.edit || can.events) && (
            <Actions
              api={api}
              workflow={workflow}
              instanceId={instanceId}
              instance={data}
              can={can}
              onChanged={() => void instance.reload()}
            />
          )}
          {data.error && (
            <div class="alert" role="status">
              <strong>{data.error.name}</strong>: {data.error.message}
            </div>
          )}
          <div class="columns">
            <section aria-labelledby="params-title">
              <h2 id="params-title">Params</h2>
              <JsonBlock value={data.params} />
            </section>
            <section aria-labelledby="output-title">
              <h2 id="output-title">Output</h2>
              {finished || data.output !== null ? (
                <LogOutputBlock text={data.output} />
              ) : (
                <p class="muted">Not finished yet.</p>
              )}
            </section>
          </div>
          <section aria-labelledby="timeline-title">
            <h2 id="timeline-title">
              Timeline <span class="muted">({data.step_count} entries)</span>
            </h2>
            <Timeline
              instance={data}
              now={now}
              onLoadOutput={async (step) => (await api.getStepOutput(workflow, instanceId, step)).output}
            />
          </section>
        </>
      )}
    </main>
  );
}

/**
 * The instance's labels, each a link to the instances that share it; with edit rights, a key and
 * a value to add a label or change one (the same key), and a button on each chip to remove it.
 */
function LabelsCard({
  api,
  workflow,
  instanceId,
  labels,
  canEdit,
  onChanged,
}: {
  api: Api;
  workflow: string;
  instanceId: string;
  labels: Labels;
  canEdit: boolean;
  onChanged: () => void;
}) {
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const { busy, error, run } = useAction();
  const change = (patch: { set?: Labels; remove?: string[] }, done?: () => void) =>
    run(async () => {
      await api.patchLabels(workflow, instanceId, patch);
      done?.();
      onChanged();
    });

  return (
    <section class="card" aria-labelledby="labels-title">
      <h2 id="labels-title">Labels</h2>
      {Object.keys(labels).length === 0 ? (
        <p class="muted">No labels.</p>
      ) : (
        <LabelChips
          labels={labels}
          linkOf={(requirement) => href(["workflows", workflow], { labels: requirement })}
          onRemove={canEdit ? (removed) => void change({ remove: [removed] }) : undefined}
          disabled={busy}
        />
      )}
      {canEdit && (
        <form
          class="inline-form label-editor"
          onSubmit={(event) => {
            event.preventDefault();
            // The API checks the key and the value, and says what is wrong with them.
            void change({ set: { [key.trim()]: value } }, () => {
              setKey("");
              setValue("");
            });
          }}
        >
          <label for="label-key">Label key</label>
          <input
            id="label-key"
            value={key}
            onInput={(event) => setKey(event.currentTarget.value)}
            placeholder="tenant"
            autocomplete="off"
          />
          <label for="label-value">Value</label>
          <input
            id="label-value"
            value={value}
            onInput={(event) => setValue(event.currentTarget.value)}
            placeholder="acme"
            autocomplete="off"
          />
          <button type="submit" disabled={busy || key.trim() === ""}>
            Set label
          </button>
        </form>
      )}
      <ErrorAlert error={error} title="The labels were refused" />
    </section>
  );
}

type Pending = { action: "terminate" } | { action: "restart" };

/** What an operator may do to the instance; the API decides, and its refusal is shown. */
function Actions({
  api,
  workflow,
  instanceId,
  instance,
  can,
  onChanged,
}: {
  api: Api;
  workflow: string;
  instanceId: string;
  instance: InstanceDetails;
  can: { edit: boolean; events: boolean };
  onChanged: () => void;
}) {
  const { busy, error, run, fail } = useAction();
  const [notice, setNotice] = useState<string>();
  // The button that was used may be disabled now (Terminate, once terminated): focus goes to
  // what happened, rather than being lost.
  const noticeRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);
  const [pending, setPending] = useState<Pending>();
  const [restartFrom, setRestartFrom] = useState("");
  const finished = isFinished(instance.status);
  const paused = instance.status === "paused" || instance.status === "waitingForPause";
  const restartPoints = restartPointsOf(instance);

  const change = (action: StatusAction, from?: RestartPoint) => {
    setNotice(undefined);
    return run(async () => {
      try {
        const result = await api.changeStatus(workflow, instanceId, { status: action, ...(from ? { from } : {}) });
        setNotice(`${action[0]?.toUpperCase()}${action.slice(1)} accepted: the instance is ${result.status}.`);
        onChanged();
      } finally {
        setPending(undefined);
      }
    });
  };

  // The log may change while the dialog is open: restart from the step chosen, by its name.
  const restart = () => {
    if (restartFrom === "") return void change("restart");
    const chosen = restartPoints.find((entry) => entry.label === restartFrom);
    if (chosen) return void change("restart", chosen.point);
    setPending(undefined);
    fail(`The step "${restartFrom}" is no longer in the log; nothing was restarted.`);
  };

  return (
    <section class="card" aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      {can.edit && (
        <div class="actions">
          <button type="button" disabled={busy || finished || paused} onClick={() => void change("pause")}>
            Pause
          </button>
          <button type="button" disabled={busy || !paused} onClick={() => void change("resume")}>
            Resume
          </button>
          <button
            type="button"
            class="danger"
            disabled={busy || finished}
            onClick={() => setPending({ action: "terminate" })}
          >
            Terminate…
          </button>
          <button type="button" disabled={busy} onClick={() => setPending({ action: "restart" })}>
            Restart…
          </button>
        </div>
      )}
      <ErrorAlert error={error} title="The API refused" />
      {notice && (
        <p class="notice" role="status" tabIndex={-1} ref={noticeRef}>
          {notice}
        </p>
      )}
      {can.events && (
        <SendEvent api={api} workflow={workflow} instanceId={instanceId} instance={instance} onSent={onChanged} />
      )}
      {pending?.action === "terminate" && (
        <ConfirmDialog
          title="Terminate this instance?"
          confirmLabel="Terminate"
          danger
          busy={busy}
          onConfirm={() => void change("terminate")}
          onCancel={() => setPending(undefined)}
        >
          <p>
            <strong>{instanceId}</strong> stops for good; a terminated instance can only be restarted.
          </p>
        </ConfirmDialog>
      )}
      {pending?.action === "restart" && (
        <ConfirmDialog
          title="Restart this instance?"
          confirmLabel="Restart"
          danger
          busy={busy}
          onConfirm={restart}
          onCancel={() => setPending(undefined)}
        >
          <p>It runs again with the same params. From a step, the results of the steps before it are kept.</p>
          <label for="restart-from">Restart from</label>
          <select id="restart-from" value={restartFrom} onChange={(event) => setRestartFrom(event.currentTarget.value)}>
            <option value="">The beginning</option>
            {restartPoints.map((entry) => (
              <option key={entry.label} value={entry.label}>
                {entry.label}
              </option>
            ))}
          </select>
        </ConfirmDialog>
      )}
    </section>
  );
}

/** Steps a restart can begin at: the log's names split into the step's name and its count. */
function restartPointsOf(instance: InstanceDetails): { label: string; point: RestartPoint }[] {
  return instance.steps.flatMap((step) => {
    // A restart begins at a step of the run; rollback handlers are not among them.
    if (step.type === "termination" || step.type === "rollback") return [];
    const match = /^(.*)-(\d+)$/.exec(step.name);
    if (!match?.[1] || !match[2]) return [];
    const type = step.type === "step" ? "do" : step.type;
    return [{ label: step.name, point: { name: match[1], count: Number(match[2]), type } }];
  });
}

/** Sends an event with a JSON payload; the type defaults to the one the instance waits for. */
function SendEvent({
  api,
  workflow,
  instanceId,
  instance,
  onSent,
}: {
  api: Api;
  workflow: string;
  instanceId: string;
  instance: InstanceDetails;
  onSent: () => void;
}) {
  const awaited = instance.steps.findLast((step) => step.type === "waitForEvent" && !step.finished);
  // Until the operator types one, the type is the one the instance waits for, once it waits.
  const [typed, setType] = useState<string>();
  const type = typed ?? (awaited?.type === "waitForEvent" ? (awaited.event_type ?? "") : "");
  const [payload, setPayload] = useState("{}");
  const [sent, setSent] = useState<string>();
  const { busy, error, run, fail } = useAction();

  function submit(event: Event) {
    event.preventDefault();
    setSent(undefined);
    const body = parseJson(payload);
    if (!body.ok) return fail(`The payload is not valid JSON: ${body.message}`);
    void run(async () => {
      await api.sendEvent(workflow, instanceId, type.trim(), body.value);
      setSent(`Event "${type.trim()}" sent.`);
      onSent();
    });
  }

  return (
    <form class="stack send-event" onSubmit={submit} aria-labelledby="send-event-title">
      <h3 id="send-event-title">Send an event</h3>
      <label for="event-type">Event type</label>
      <input
        id="event-type"
        required
        value={type}
        onInput={(event) => setType(event.currentTarget.value)}
        autocomplete="off"
      />
      <label for="event-payload">Payload (JSON)</label>
      <textarea
        id="event-payload"
        rows={3}
        spellcheck={false}
        value={payload}
        onInput={(event) => setPayload(event.currentTarget.value)}
      />
      <ErrorAlert error={error} title="The event was refused" />
      {sent && (
        <p class="notice" role="status">
          {sent}
        </p>
      )}
      <div>
        <button type="submit" class="primary" disabled={busy || type.trim() === ""}>
          {busy ? "Sending…" : "Send event"}
        </button>
      </div>
    </form>
  );
}
