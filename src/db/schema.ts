import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { INSTANCE_STATUSES, type InstanceStatus, TRIGGER_SOURCES, type TriggerSource } from "../domain/instance-status";
import type { Labels } from "../domain/labels";

/** Step limits of a version, as in Cloudflare's `limits` object. */
export type WorkflowLimits = { steps?: number | undefined };

/** Retention of finished instances, in milliseconds. */
export type Retention = { error_retention?: number; success_retention?: number };

/**
 * Workflow definitions. One row per workflow name; `version_id` points at the current version.
 * A deleted workflow's row stays, renamed to a name no request can give (`~<name>~<id>`) and
 * with `deleted_on` set, while retention purges its instances in batches; removing the row then
 * deletes its versions, counts and jobs (cascade).
 */
export const workflows = sqliteTable("workflows", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  className: text("class_name").notNull(),
  scriptName: text("script_name").notNull(),
  versionId: text("version_id").notNull(),
  createdOn: integer("created_on", { mode: "timestamp_ms" }).notNull(),
  modifiedOn: integer("modified_on", { mode: "timestamp_ms" }).notNull(),
  deletedOn: integer("deleted_on", { mode: "timestamp_ms" }),
  /**
   * Labels taken from each new instance's params: label key to a path into them
   * (`$.__dispatcherMetadata.tenantId`). Not part of a version: changing them records none.
   */
  labelPaths: text("label_paths", { mode: "json" }).$type<Record<string, string>>(),
  /** Label keys (at most 3) the metrics also keep a series per value of (`label_metrics`). */
  metricLabels: text("metric_labels", { mode: "json" }).$type<string[]>(),
});

/** Immutable versions: a PUT that changes the class, script, limits or retention adds one. */
export const workflowVersions = sqliteTable(
  "workflow_versions",
  {
    id: text("id").primaryKey(),
    workflowId: text("workflow_id")
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
    className: text("class_name").notNull(),
    scriptName: text("script_name").notNull(),
    limits: text("limits", { mode: "json" }).$type<WorkflowLimits>(),
    defaultRetention: text("default_retention", { mode: "json" }).$type<Retention>(),
    createdOn: integer("created_on", { mode: "timestamp_ms" }).notNull(),
  },
  (table) => [index("workflow_versions_by_workflow").on(table.workflowId, table.createdOn)],
);

/**
 * The instance index: each instance's summary as its journal mirrored it from the engine's
 * event stream (the engine stays the source of truth); lists and counts read only this.
 */
export const instances = sqliteTable(
  "instances",
  {
    workflowId: text("workflow_id")
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
    id: text("id").notNull(),
    versionId: text("version_id").notNull(),
    status: text("status", { enum: INSTANCE_STATUSES }).$type<InstanceStatus>().notNull(),
    triggerSource: text("trigger_source", { enum: TRIGGER_SOURCES }).$type<TriggerSource>().notNull(),
    /** The params given at creation, as JSON (null when none were given). */
    params: text("params", { mode: "json" }).$type<unknown>(),
    createdOn: integer("created_on", { mode: "timestamp_ms" }).notNull(),
    startedOn: integer("started_on", { mode: "timestamp_ms" }),
    endedOn: integer("ended_on", { mode: "timestamp_ms" }),
    modifiedOn: integer("modified_on", { mode: "timestamp_ms" }).notNull(),
    /** `name` of the error an errored instance ended with. */
    errorName: text("error_name"),
    /**
     * Version of the summary written by the instance's journal (it follows the clock); a write
     * carrying an older revision than the row's is ignored, so delayed writes never undo newer ones.
     */
    revision: integer("revision").notNull().default(0),
    /**
     * The retention given to the engine at creation (the instance's own, else its version's
     * default), in milliseconds; null when unknown (an instance created straight through the
     * binding), so the version's, the account's or the plan's applies.
     */
    retention: text("retention", { mode: "json" }).$type<Retention>(),
    /**
     * When the engine forgets the finished instance: its end plus its retention, set by a trigger
     * (migration 0007) whenever status or end change; null while it is unfinished.
     */
    expiresOn: integer("expires_on", { mode: "timestamp_ms" }),
    /**
     * The instance's labels (null for none): the caller's, and those its workflow's label paths
     * took from its params when it was first indexed. Triggers (migration 0010) mirror them
     * into `instance_labels` and `instance_label_counts`.
     */
    labels: text("labels", { mode: "json" }).$type<Labels>(),
    /** An errored instance's error message with numbers and ids masked: what error groups are keyed by. */
    errorShape: text("error_shape"),
    /** The step whose failure ended an errored run (its name without the log's counter suffix). */
    failedStep: text("failed_step"),
    /**
     * The step attempts that ended lately, as the last write carried them (JSON; migration 0014
     * counts each in `step_metrics` once), and the mark of the latest one counted.
     */
    attemptFacts: text("attempt_facts"),
    attemptsMark: text("attempts_mark"),
  },
  (table) => [
    primaryKey({ columns: [table.workflowId, table.id] }),
    // Every list filter has an index that also yields creation order; `id` breaks ties so
    // cursors are stable. An id prefix is a range on the primary key.
    index("instances_by_created").on(table.workflowId, table.createdOn, table.id),
    index("instances_by_status").on(table.workflowId, table.status, table.createdOn, table.id),
    index("instances_by_version").on(table.workflowId, table.versionId, table.createdOn, table.id),
    index("instances_by_trigger").on(table.workflowId, table.triggerSource, table.createdOn, table.id),
    index("instances_by_error")
      .on(table.workflowId, table.errorName, table.createdOn, table.id)
      .where(sql`${table.errorName} is not null`),
    // Finished instances by when they expire: the expiry pass takes the earliest first.
    index("instances_by_expiry").on(table.expiresOn).where(sql`${table.expiresOn} is not null`),
    // Unfinished instances, the sweeper's round: it walks them by (workflow, creation, id).
    index("instances_unfinished")
      .on(table.workflowId, table.createdOn, table.id)
      .where(sql`${table.status} not in ('complete', 'errored', 'terminated')`),
  ],
);

/**
 * Per-status instance counts of each workflow. Maintained by triggers on `instances`
 * (migration 0001), so every write that changes a status updates its count atomically.
 */
export const instanceStatusCounts = sqliteTable(
  "instance_status_counts",
  {
    workflowId: text("workflow_id")
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
    status: text("status", { enum: INSTANCE_STATUSES }).$type<InstanceStatus>().notNull(),
    count: integer("count").notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.workflowId, table.status] })],
);

/**
 * One row per label of an instance, written only by triggers on `instances` (migration 0010).
 * A selector's `key=value` walks `instance_labels_by_value` in creation order, as a status filter
 * walks `instances_by_status`.
 */
export const instanceLabels = sqliteTable(
  "instance_labels",
  {
    workflowId: text("workflow_id")
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
    instanceId: text("instance_id").notNull(),
    key: text("key").notNull(),
    value: text("value").notNull(),
    /** The instance's creation time, so the index yields the list's order. */
    createdOn: integer("created_on", { mode: "timestamp_ms" }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.workflowId, table.instanceId, table.key] }),
    index("instance_labels_by_value").on(table.workflowId, table.key, table.value, table.createdOn, table.instanceId),
  ],
);

/**
 * Instances per label value and status, maintained by the same triggers, so counts grouped by a
 * label never scan instances. Rows that fall to zero are removed.
 */
export const instanceLabelCounts = sqliteTable(
  "instance_label_counts",
  {
    workflowId: text("workflow_id")
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    value: text("value").notNull(),
    status: text("status", { enum: INSTANCE_STATUSES }).$type<InstanceStatus>().notNull(),
    count: integer("count").notNull(),
  },
  (table) => [primaryKey({ columns: [table.workflowId, table.key, table.value, table.status] })],
);

export const METRIC_BUCKETS = ["m", "h"] as const;
export type MetricBucket = (typeof METRIC_BUCKETS)[number];

/** The key columns every metrics table starts with: the workflow, the bucket's size and start. */
function bucketColumns() {
  return {
    workflowId: text("workflow_id")
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
    bucket: text("bucket", { enum: METRIC_BUCKETS }).$type<MetricBucket>().notNull(),
    start: integer("start").notNull(),
  };
}

/** What happened to instances in a bucket, and the durations of the runs that ended in it. */
function eventColumns() {
  return {
    created: integer("created").notNull().default(0),
    started: integer("started").notNull().default(0),
    completed: integer("completed").notNull().default(0),
    errored: integer("errored").notNull().default(0),
    terminated: integer("terminated").notNull().default(0),
    durations: text("durations"),
  };
}

/**
 * What happened to a workflow's instances per minute (`m`) and per hour (`h`) and version,
 * maintained by triggers on `instances` (migration 0012) as each instance is created, starts
 * and finishes: counts of events, never of states, so a restart, a delete or an expiry leaves
 * what happened counted. `durations` is a sparse histogram of the runs that finished in the
 * bucket: `{ "<bin>": count }`, bin = ceil(ln(ms) / ln(1.1)).
 */
export const instanceMetrics = sqliteTable(
  "instance_metrics",
  { ...bucketColumns(), versionId: text("version_id").notNull(), ...eventColumns() },
  (table) => [
    primaryKey({ columns: [table.workflowId, table.bucket, table.start, table.versionId] }),
    // Retention removes the oldest buckets of each size first.
    index("instance_metrics_by_age").on(table.bucket, table.start),
  ],
);

/**
 * `instance_metrics` per value of the label keys a workflow declares as `metric_labels`, so a
 * series per tenant costs a read of its own rows; maintained by triggers (migration 0016) under
 * the labels an instance has when each event happens.
 */
export const labelMetrics = sqliteTable(
  "label_metrics",
  { ...bucketColumns(), key: text("key").notNull(), value: text("value").notNull(), ...eventColumns() },
  (table) => [
    primaryKey({ columns: [table.workflowId, table.bucket, table.start, table.key, table.value] }),
    index("label_metrics_by_age").on(table.bucket, table.start),
  ],
);

/**
 * Step attempts per minute and hour, by version and step name (without the log's counter
 * suffix): how many, how many failed, a histogram of their durations (as `instance_metrics`),
 * and how many runs ended errored by this step's failure. Maintained by triggers (migration 0014).
 */
export const stepMetrics = sqliteTable(
  "step_metrics",
  {
    ...bucketColumns(),
    versionId: text("version_id").notNull(),
    step: text("step").notNull(),
    attempts: integer("attempts").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    instancesFailed: integer("instances_failed").notNull().default(0),
    durations: text("durations"),
  },
  (table) => [
    primaryKey({ columns: [table.workflowId, table.bucket, table.start, table.versionId, table.step] }),
    index("step_metrics_by_age").on(table.bucket, table.start),
  ],
);

/**
 * Errors per hour, by error name and message shape (ids and numbers masked) and version: how
 * often, first and last seen, and an instance it happened to. Maintained by the same triggers.
 */
export const errorMetrics = sqliteTable(
  "error_metrics",
  {
    workflowId: text("workflow_id")
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
    start: integer("start").notNull(),
    name: text("name").notNull(),
    shape: text("shape").notNull(),
    versionId: text("version_id").notNull(),
    count: integer("count").notNull(),
    firstSeen: integer("first_seen").notNull(),
    lastSeen: integer("last_seen").notNull(),
    exampleInstanceId: text("example_instance_id").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.workflowId, table.start, table.name, table.shape, table.versionId] }),
    index("error_metrics_by_age").on(table.start),
  ],
);

/**
 * The account's settings (one row, id 1): Cloudflare's `default_retention` of finished
 * instances, and how long this control plane keeps what it owns (bulk jobs, the audit trail).
 * A null column is unset: the documented default applies. All durations in milliseconds.
 */
export const accountSettings = sqliteTable("account_settings", {
  id: integer("id").primaryKey(),
  successRetention: integer("success_retention"),
  errorRetention: integer("error_retention"),
  bulkJobRetention: integer("bulk_job_retention"),
  auditRetention: integer("audit_retention"),
  modifiedOn: integer("modified_on", { mode: "timestamp_ms" }).notNull(),
});

/** Small key-value facts about this deployment (e.g. which binding config was last synced). */
export const controlPlaneState = sqliteTable("control_plane_state", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

export const BULK_ACTIONS = ["terminate", "pause", "resume", "restart", "send_event", "delete"] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

export const BULK_JOB_STATUSES = ["queued", "running", "complete", "cancelled", "failed"] as const;
export type BulkJobStatus = (typeof BULK_JOB_STATUSES)[number];

/** How a job was asked for: POST …/instances/bulk, Cloudflare's batch terminate, or terminate-all. */
export const BULK_JOB_KINDS = ["bulk", "batch_terminate", "terminate_all"] as const;
export type BulkJobKind = (typeof BULK_JOB_KINDS)[number];

/**
 * Bulk jobs of a workflow: what lists and idempotency need. Each job's targets, ledger and
 * progress live in its own `BulkJob` Durable Object, which writes its status back here.
 */
export const bulkJobs = sqliteTable(
  "bulk_jobs",
  {
    id: text("id").primaryKey(),
    workflowId: text("workflow_id")
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: BULK_JOB_KINDS }).$type<BulkJobKind>().notNull(),
    action: text("action", { enum: BULK_ACTIONS }).$type<BulkAction>().notNull(),
    status: text("status", { enum: BULK_JOB_STATUSES }).$type<BulkJobStatus>().notNull(),
    total: integer("total").notNull(),
    /** The caller's Idempotency-Key, unique per workflow, and a hash of the request it came with. */
    idempotencyKey: text("idempotency_key"),
    requestHash: text("request_hash"),
    createdOn: integer("created_on", { mode: "timestamp_ms" }).notNull(),
    endedOn: integer("ended_on", { mode: "timestamp_ms" }),
  },
  (table) => [
    index("bulk_jobs_by_workflow").on(table.workflowId, table.createdOn),
    // Ended jobs by when they ended: retention removes the oldest first.
    index("bulk_jobs_by_end").on(table.endedOn).where(sql`${table.endedOn} is not null`),
    uniqueIndex("bulk_jobs_idempotency")
      .on(table.workflowId, table.idempotencyKey)
      .where(sql`${table.idempotencyKey} is not null`),
    // Cloudflare runs one terminate-all per workflow at a time; so does this, race-free.
    uniqueIndex("bulk_jobs_one_terminate_all")
      .on(table.workflowId)
      .where(sql`${table.kind} = 'terminate_all' and ${table.status} in ('queued', 'running')`),
  ],
);

/**
 * What a scoped token may do: read (GETs), edit (everything but token admin), events (send
 * events), metrics (read the metrics routes only, as a Prometheus scraper does).
 */
export const TOKEN_PERMISSIONS = ["read", "edit", "events", "metrics"] as const;
export type TokenPermission = (typeof TOKEN_PERMISSIONS)[number];

/**
 * Scoped API tokens minted by the admin token. Only a SHA-256 hash of each secret is stored;
 * a revoked token keeps its row, so the audit trail can still name it.
 */
export const apiTokens = sqliteTable("api_tokens", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  secretHash: text("secret_hash").notNull().unique(),
  permissions: text("permissions", { mode: "json" }).$type<TokenPermission[]>().notNull(),
  /** The workflows the token may act on; null for all. */
  workflows: text("workflows", { mode: "json" }).$type<string[]>(),
  /** The event types an events token may send; null for all. */
  eventTypes: text("event_types", { mode: "json" }).$type<string[]>(),
  createdOn: integer("created_on", { mode: "timestamp_ms" }).notNull(),
  expiresOn: integer("expires_on", { mode: "timestamp_ms" }),
  revokedOn: integer("revoked_on", { mode: "timestamp_ms" }),
});

const ACTOR_TYPES = ["admin", "token", "rpc"] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

/** Every mutating call, over REST or RPC: who, what, on what, when, and how it ended. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
    actorType: text("actor_type", { enum: ACTOR_TYPES }).$type<ActorType>().notNull(),
    actorId: text("actor_id").notNull(),
    actorName: text("actor_name").notNull(),
    /** "PATCH /workflows/:workflow_name/instances/:instance_id/status", or an RPC method's name. */
    action: text("action").notNull(),
    workflowName: text("workflow_name"),
    instanceId: text("instance_id"),
    requestId: text("request_id").notNull(),
    outcome: text("outcome", { enum: ["success", "failure"] }).notNull(),
    status: integer("status").notNull(),
    errorCode: integer("error_code"),
    reason: text("reason"),
    /** Facts of the call worth keeping: a status change's target, a job's id and size. */
    detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (table) => [
    index("audit_by_workflow").on(table.workflowName, table.id),
    index("audit_by_actor").on(table.actorId, table.id),
  ],
);
