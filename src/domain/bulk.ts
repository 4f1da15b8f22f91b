import type { BulkAction, BulkJobKind, BulkJobStatus } from "../db/schema";
import type { Json } from "../lib/json";
import type { ErrorInfo } from "./errors";
import type { InstanceStatus, TriggerSource } from "./instance-status";

/** What services and a bulk job (its Durable Object) say to each other. */

/** A job's selection as the API shows it: any filter `GET …/instances` takes, statuses as a list. */
export type BulkFilter = {
  status?: InstanceStatus[] | undefined;
  date_start?: string | undefined;
  date_end?: string | undefined;
  version_id?: string | undefined;
  trigger_source?: TriggerSource | undefined;
  error_name?: string | undefined;
  id_prefix?: string | undefined;
  /** A label selector in its canonical text (`formatSelector`). */
  labels?: string | undefined;
};

/** Where a restart begins, as the binding's `restart({ from })` takes it. */
export type RestartFrom = {
  name: string;
  count?: number | undefined;
  type?: "do" | "sleep" | "waitForEvent" | undefined;
};

/** What a job takes beyond its action's name: terminate's rollback, restart's step, the event, a pace. */
export type BulkOptions = {
  rollback?: boolean | undefined;
  from?: RestartFrom | undefined;
  event?: { type: string; payload?: Json | undefined } | undefined;
  /** Pacing: at most this many items acted on per second, across chunks and restarts. */
  max_per_second?: number | undefined;
};

export type BulkJobSpec = {
  id: string;
  workflowName: string;
  kind: BulkJobKind;
  action: BulkAction;
  options?: BulkOptions | undefined;
  filter: BulkFilter | null;
  createdOn: number;
};

/** A job as the API returns it. */
export type BulkJobView = {
  id: string;
  workflow_name: string;
  kind: BulkJobKind;
  action: BulkAction;
  options: BulkOptions | null;
  status: BulkJobStatus;
  total: number;
  succeeded: number;
  skipped: number;
  failed: number;
  pending: number;
  created_on: string;
  started_on: string | null;
  ended_on: string | null;
  filter: BulkFilter | null;
  ids_count: number | null;
};

export type ItemOutcome = "succeeded" | "skipped" | "failed" | "pending";

/** One row of a job's ledger. */
export type BulkResult = {
  instance_id: string;
  outcome: ItemOutcome;
  reason: string | null;
  error: ErrorInfo | null;
  status_before: InstanceStatus | null;
  status_after: InstanceStatus | null;
  attempts: number;
};
