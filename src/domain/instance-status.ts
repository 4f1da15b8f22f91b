/**
 * Instance statuses as Cloudflare's REST API reports them.
 * @see https://developers.cloudflare.com/api/resources/workflows/subresources/instances/
 */
export const INSTANCE_STATUSES = [
  "queued",
  "running",
  "paused",
  "errored",
  "terminated",
  "complete",
  "waiting",
  "waitingForPause",
  "rollingBack",
] as const;

export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

/** Statuses an instance never leaves except through a restart. */
export const FINISHED_STATUSES: ReadonlySet<InstanceStatus> = new Set(["complete", "errored", "terminated"]);

export function isFinished(status: InstanceStatus): boolean {
  return FINISHED_STATUSES.has(status);
}

export function isInstanceStatus(value: string): value is InstanceStatus {
  return (INSTANCE_STATUSES as readonly string[]).includes(value);
}

/** What created an instance. */
export const TRIGGER_SOURCES = ["unknown", "api", "binding", "event", "cron"] as const;

export type TriggerSource = (typeof TRIGGER_SOURCES)[number];

/** Changes a caller may ask for through `PATCH …/status`. */
export const STATUS_ACTIONS = ["pause", "resume", "terminate", "restart"] as const;

export type StatusAction = (typeof STATUS_ACTIONS)[number];
