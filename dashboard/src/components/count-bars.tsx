import { INSTANCE_STATUSES } from "../../../src/domain/instance-status";
import type { InstanceStatus } from "../api";
import { statusLabel } from "./status";

export function totalOf(counts: Record<InstanceStatus, number>): number {
  return INSTANCE_STATUSES.reduce((sum, status) => sum + counts[status], 0);
}

/**
 * Instances per status as one small stacked bar, with the numbers as text beside it: the bar is
 * for a glance, the text for reading (and for screen readers). Given `scale` (the largest of
 * several groups), the bar is as long as its total is of it, so that bars one above the other
 * compare the groups' sizes.
 */
export function CountBars({ counts, scale }: { counts: Record<InstanceStatus, number>; scale?: number }) {
  const present = INSTANCE_STATUSES.filter((status) => counts[status] > 0);
  const total = totalOf(counts);
  if (total === 0) return <span class="muted">No instances</span>;
  return (
    <div class="counts">
      <div
        class="count-bar"
        aria-hidden="true"
        style={scale ? { width: `${(Math.min(total, scale) / scale) * 100}%` } : undefined}
      >
        {present.map((status) => (
          <span
            key={status}
            class={`segment status-${status}`}
            style={{ width: `${(counts[status] / total) * 100}%` }}
            title={`${statusLabel(status)}: ${counts[status]}`}
          />
        ))}
      </div>
      <ul class="count-list">
        {present.map((status) => (
          <li key={status} data-status={status}>
            <span class={`dot status-${status}`} aria-hidden="true" />
            {counts[status]} {statusLabel(status).toLowerCase()}
          </li>
        ))}
      </ul>
    </div>
  );
}
