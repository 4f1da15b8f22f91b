import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { JURISDICTIONS, type Jurisdiction } from "../domain/jurisdiction";

/** Step limits of a version, as in Cloudflare's `limits` object. */
export type WorkflowLimits = { steps?: number | undefined };

/** Retention of finished instances, in milliseconds. */
export type Retention = { error_retention?: number; success_retention?: number };

/**
 * Workflow definitions. One row per workflow name; `version_id` points at the current version.
 * A deleted workflow's row stays, renamed to a name no request can give (`~<name>~<id>`) and
 * with `deleted_on` set, while retention drops its index segments; removing the row then
 * deletes its versions, segments and jobs (cascade).
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
  /** Where the workflow's instances and its index are kept (`eu`, `fedramp`); null for anywhere. Fixed once created. */
  jurisdiction: text("jurisdiction", { enum: JURISDICTIONS }).$type<Jurisdiction>(),
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
 * The segments of each workflow's index (src/index/): each its own Durable Object, holding the
 * instances created from `starts_on` until the next segment's start. Segment 0 starts at 0 and
 * has no row; a row is added when the segment before it fills up.
 */
export const indexSegments = sqliteTable(
  "index_segments",
  {
    workflowId: text("workflow_id")
      .notNull()
      .references(() => workflows.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    startsOn: integer("starts_on").notNull(),
    /** When retention dropped the segment as a whole: its instances had all expired. */
    droppedOn: integer("dropped_on"),
  },
  (table) => [primaryKey({ columns: [table.workflowId, table.seq] })],
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
