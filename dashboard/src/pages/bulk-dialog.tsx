import { useState } from "preact/hooks";
import type { Api, BulkAction, BulkFilter } from "../api";
import { ErrorAlert } from "../components/alert";
import { ConfirmDialog } from "../components/confirm";
import { useAction } from "../hooks";
import { href, navigate } from "../router";

const ACTION_WORDS: Record<BulkAction, { title: string; verb: string }> = {
  pause: { title: "Pause instances", verb: "Pause" },
  resume: { title: "Resume instances", verb: "Resume" },
  terminate: { title: "Terminate instances", verb: "Terminate" },
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

  const confirm = () =>
    run(async () => {
      const job = await api.startBulkJob(workflow, {
        action,
        ...("ids" in target ? { instance_ids: target.ids } : { filter: target.filter }),
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
      <label for="bulk-reason">Reason (recorded in the audit trail)</label>
      <input id="bulk-reason" value={reason} onInput={(event) => setReason(event.currentTarget.value)} />
      <ErrorAlert error={error} title="The job was refused" />
    </ConfirmDialog>
  );
}
