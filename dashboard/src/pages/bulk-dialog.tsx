import { useState } from "preact/hooks";
import type { Api, BulkAction, BulkFilter, BulkPreview } from "../api";
import { ErrorAlert } from "../components/alert";
import { ConfirmDialog } from "../components/confirm";
import { useAction, useLoad } from "../hooks";
import { href, navigate } from "../router";

const ACTION_WORDS: Record<BulkAction, { title: string; verb: string }> = {
  pause: { title: "Pause instances", verb: "Pause" },
  resume: { title: "Resume instances", verb: "Resume" },
  terminate: { title: "Terminate instances", verb: "Terminate" },
  restart: { title: "Restart instances", verb: "Restart" },
  send_event: { title: "Send an event to instances", verb: "Send" },
  delete: { title: "Delete instances", verb: "Delete" },
};

/** Confirms a bulk action with an optional reason, starts the job and opens its page. */
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
  const { busy, error, run } = useAction();
  const words = ACTION_WORDS[action];
  const selection = "ids" in target ? { instance_ids: target.ids } : { filter: target.filter };
  const preview = useLoad(
    () => api.previewBulkJob(workflow, { action, ...selection }),
    JSON.stringify([workflow, action, selection]),
  );

  const confirm = () =>
    run(async () => {
      const job = await api.startBulkJob(workflow, {
        action,
        ...selection,
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      });
      onClose();
      navigate(href(["workflows", workflow, "bulk", job.id]));
    });

  return (
    <ConfirmDialog
      title={words.title}
      confirmLabel={`${words.verb} ${"ids" in target ? target.ids.length : "all"}`}
      danger={action === "terminate"}
      busy={busy}
      onConfirm={() => void confirm()}
      onCancel={onClose}
    >
      <p>
        {words.verb} {target.description} of <strong>{workflow}</strong>? The job runs in the background; its page shows
        the progress and what happened to each instance.
        {action === "terminate" && " Terminated instances cannot be resumed."}
      </p>
      <BulkPreviewLine preview={preview.data} failed={preview.error !== undefined} />
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
