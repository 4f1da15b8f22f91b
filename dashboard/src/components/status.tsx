import type { InstanceStatus } from "../api";

const LABELS: Record<InstanceStatus, string> = {
  queued: "Queued",
  running: "Running",
  paused: "Paused",
  waiting: "Waiting",
  waitingForPause: "Pausing",
  rollingBack: "Rolling back",
  errored: "Errored",
  terminated: "Terminated",
  complete: "Complete",
};

export function statusLabel(status: InstanceStatus): string {
  return LABELS[status];
}

/** A status as a word with a colour; the word carries the meaning, the colour only helps. */
export function StatusBadge({ status }: { status: InstanceStatus }) {
  return <span class={`badge status-${status}`}>{LABELS[status]}</span>;
}
