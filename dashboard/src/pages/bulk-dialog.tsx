import { useState } from "preact/hooks";
import type { Api, BulkAction, BulkFilter, BulkOptions, BulkPreview } from "../api";
import { ErrorAlert } from "../components/alert";
import { ConfirmDialog } from "../components/confirm";
import { FilterSummary } from "../components/filter-summary";
import { useAction, useLoad } from "../hooks";
import { href, navigate } from "../router";

/** The dialog's title, the question's verb ("Pause 2 selected instances…?") and the button's. */
const ACTION_WORDS: Record<BulkAction, { title: string; verb: string; button: string }> = {
  pause: { title: "Pause instances", verb: "Pause", button: "Pause" },
  resume: { title: "Resume instances", verb: "Resume", button: "Resume" },
  terminate: { title: "Terminate instances", verb: "Terminate", button: "Terminate" },
  restart: { title: "Restart instances", verb: "Restart", button: "Restart" },
  send_event: { title: "Send an event to instances", verb: "Send the event to", button: "Send to" },
  delete: { title: "Delete instances", verb: "Delete", button: "Delete" },
};

/** The action's own fields as typed; `optionsOf` turns them into the request's options. */
type OptionFields = { rollback: boolean; fromStep: string; fromCount: string; eventType: string; payload: string };
const NO_FIELDS: OptionFields = { rollback: false, fromStep: "", fromCount: "", eventType: "", payload: "" };

/** The request's options for `action`, or a sentence saying what is missing or malformed. */
function optionsOf(action: BulkAction, fields: OptionFields): BulkOptions | string {
  switch (action) {
    case "terminate":
      return fields.rollback ? { rollback: true } : {};
    case "restart": {
      const name = fields.fromStep.trim();
      if (!name) return {};
      const count = fields.fromCount.trim() ? Number(fields.fromCount) : undefined;
      if (count !== undefined && !(Number.isInteger(count) && count >= 1)) return "The step's run must be 1 or more.";
      return { from: { name, ...(count === undefined ? {} : { count }) } };
    }
    case "send_event": {
      const type = fields.eventType.trim();
      if (!type) return "An event needs a type.";
      if (!fields.payload.trim()) return { event: { type } };
      try {
        return { event: { type, payload: JSON.parse(fields.payload) as unknown } };
      } catch {
        return "The payload is not valid JSON.";
      }
    }
    default:
      return {};
  }
}

/**
 * Confirms a bulk action: its own fields (rollback, the step to restart from, the event), a
 * dry run's preview of what it would do, an optional reason; then starts the job and opens its
 * page.
 */
export function BulkDialog({
  api,
  workflow,
  action,
  target,
  onClose,
}: {
  api: Api;
  workflow: string;
  action: BulkAction;
  target: { ids: string[]; description: string } | { filter: BulkFilter; description: string };
  onClose: () => void;
}) {
  const [reason, setReason] = useState("");
  const [fields, setFields] = useState<OptionFields>(NO_FIELDS);
  const { busy, error, run } = useAction();
  const words = ACTION_WORDS[action];
  const selection = "ids" in target ? { instance_ids: target.ids } : { filter: target.filter };
  const options = optionsOf(action, fields);
  const invalid = typeof options === "string" ? options : undefined;
  const preview = useLoad(
    async () =>
      invalid ? undefined : api.previewBulkJob(workflow, { action, ...selection, ...(options as BulkOptions) }),
    JSON.stringify([workflow, action, selection, options]),
  );
  const field = (name: keyof OptionFields) => (event: { currentTarget: HTMLInputElement | HTMLTextAreaElement }) =>
    setFields({
      ...fields,
      [name]: name === "rollback" ? (event.currentTarget as HTMLInputElement).checked : event.currentTarget.value,
    });

  const confirm = () =>
    run(async () => {
      if (invalid) throw new Error(invalid);
      const job = await api.startBulkJob(workflow, {
        action,
        ...selection,
        ...(options as BulkOptions),
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      });
      onClose();
      navigate(href(["workflows", workflow, "bulk", job.id]));
    });

  return (
    <ConfirmDialog
      title={words.title}
      confirmLabel={`${words.button} ${"ids" in target ? target.ids.length : "all"}`}
      danger={action === "terminate" || action === "delete"}
      busy={busy}
      onConfirm={() => void confirm()}
      onCancel={onClose}
    >
      <p>
        {words.verb} {target.description} of <strong>{workflow}</strong>? The job runs in the background; its page shows
        the progress and what happened to each instance.
        {action === "terminate" && " Terminated instances cannot be resumed."}
        {action === "delete" && " Deleted instances are gone from the engine and from every list."}
      </p>
      {"filter" in target && <FilterSummary filter={target.filter} />}
      {action === "terminate" && (
        <label class="inline">
          <input type="checkbox" checked={fields.rollback} onChange={field("rollback")} />
          Roll back first (run each instance's rollback steps)
        </label>
      )}
      {action === "restart" && (
        <>
          <label for="bulk-from-step">From step (empty: from the start)</label>
          <input id="bulk-from-step" value={fields.fromStep} onInput={field("fromStep")} />
          <label for="bulk-from-count">Which run of that step (empty: the first)</label>
          <input id="bulk-from-count" inputMode="numeric" value={fields.fromCount} onInput={field("fromCount")} />
        </>
      )}
      {action === "send_event" && (
        <>
          <label for="bulk-event-type">Event type</label>
          <input id="bulk-event-type" value={fields.eventType} onInput={field("eventType")} />
          <label for="bulk-event-payload">Payload (JSON, optional)</label>
          <textarea id="bulk-event-payload" rows={3} value={fields.payload} onInput={field("payload")} />
        </>
      )}
      {invalid ? (
        <p class="preview">{invalid}</p>
      ) : (
        <BulkPreviewLine preview={preview.data} failed={preview.error !== undefined} />
      )}
      <label for="bulk-reason">Reason (recorded in the audit trail)</label>
      <input id="bulk-reason" value={reason} onInput={(event) => setReason(event.currentTarget.value)} />
      <ErrorAlert error={error} title="The job was refused" />
    </ConfirmDialog>
  );
}

/** The dry run's answer in one line: how many the job would act on, skip, and what it costs. */
function BulkPreviewLine({ preview, failed }: { preview: BulkPreview | undefined; failed: boolean }) {
  if (failed) return <p class="preview">No preview: the dry run was refused.</p>;
  if (!preview) return <p class="preview">Working out what the job would do…</p>;
  const cost =
    preview.steps_estimate === undefined
      ? ""
      : `, about ${preview.steps_estimate.toLocaleString()} steps (about $${(preview.cost_estimate_usd ?? 0).toFixed(2)})`;
  return (
    <p class="preview" aria-live="polite">
      Preview: {preview.total.toLocaleString()} instances; {preview.would_act.toLocaleString()} would be acted on,{" "}
      {preview.would_skip.toLocaleString()} skipped{cost}.
    </p>
  );
}
