import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { INSTANCE_STATUSES, type InstanceStatus, TRIGGER_SOURCES, type TriggerSource } from "../domain/instance-status";
import type { Labels } from "../domain/labels";

/**
 * The schema of one segment of a workflow's index: a Durable Object's own SQLite, holding the
 * instances of one workflow created in one span of time. Every table belongs to that workflow,
 * so no row names it. `drizzle-kit` generates the tables' migrations (drizzle.index.config.ts);
 * the triggers that keep counts, labels, expiry and metrics are rendered by `./triggers.ts`.
 */

/** Retention of finished instances, in milliseconds. */
export type Retention = { error_retention?: number; success_retention?: number };

/**
 * What the segment's triggers need to know of its workflow and account (one row, id 1). Each
 * write carries it as the writer read it from D1, so triggers see the settings of the moment an
 * instance is written, as they did when the index lived beside the definitions.
 */
export const indexConfig = sqliteTable("index_config", {
  id: integer("id").primaryKey(),
  workflowId: text("workflow_id").notNull(),
  /** The workflow's current version: the version of instances first seen through the engine. */
  versionId: text("version_id").notNull(),
  /** That version's `default_retention`: kept on rows first seen through the engine. */
  versionRetention: text("version_retention", { mode: "json" }).$type<Retention>(),
  /** The account's `default_retention`, applied when neither the instance nor its version has one. */
  accountRetention: text("account_retention", { mode: "json" }).$type<Retention>(),
  /** Label key to a path into the params (`$.tenant`), taken on each new instance. */
  labelPaths: text("label_paths", { mode: "json" }).$type<Record<string, string>>(),
  /** Label keys the metrics keep a series per value of. */
  metricLabels: text("metric_labels", { mode: "json" }).$type<string[]>(),
  /**
   * Once the segment is full, the creation time from which instances belong to the next one;
   * null while it is the newest.
   */
  endsOn: integer("ends_on"),
});

/**
 * The instance index: each instance's summary as its journal mirrored it from the engine's
 * event stream (the engine stays the source of truth); lists and counts read only this.
 */
export const instances = sqliteTable(
  "instances",
  {
    id: text("id").primaryKey(),
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
     * The retention the engine keeps the instance for once finished, as far as the instance or
     * its version says (the account's and the plan's apply to what neither says).
     */
    retention: text("retention", { mode: "json" }).$type<Retention>(),
    /** When the engine forgets the finished instance, set by a trigger; null while unfinished. */
    expiresOn: integer("expires_on", { mode: "timestamp_ms" }),
    /** The instance's labels (null for none); triggers mirror them into `instance_labels` and the counts. */
    labels: text("labels", { mode: "json" }).$type<Labels>(),
    /** An errored instance's error message with numbers and ids masked: what error groups are keyed by. */
    errorShape: text("error_shape"),
    /** The step whose failure ended an errored run (its name without the log's counter suffix). */
    failedStep: text("failed_step"),
    /**
     * The step attempts of the last write that were past the row's mark (JSON; a trigger counts
     * each in `step_metrics`), and the mark of the latest one counted.
     */
    attemptFacts: text("attempt_facts"),
    attemptsMark: text("attempts_mark"),
  },
  (table) => [
    // Every list filter has an index that also yields creation order; `id` breaks ties so
    // cursors are stable. An id prefix is a range on the primary key.
    index("instances_by_created").on(table.createdOn, table.id),
    index("instances_by_status").on(table.status, table.createdOn, table.id),
    index("instances_by_version").on(table.versionId, table.createdOn, table.id),
    index("instances_by_trigger").on(table.triggerSource, table.createdOn, table.id),
    index("instances_by_error")
      .on(table.errorName, table.createdOn, table.id)
      .where(sql`${table.errorName} is not null`),
    // Finished instances by when they expire: the expiry pass takes the earliest first.
    index("instances_by_expiry").on(table.expiresOn).where(sql`${table.expiresOn} is not null`),
    // Unfinished instances, the sweeper's round, in creation order.
    index("instances_unfinished")
      .on(table.createdOn, table.id)
      .where(sql`${table.status} not in ('complete', 'errored', 'terminated')`),
  ],
);

/** Instances per status, kept by triggers so reading a count never scans. */
export const instanceStatusCounts = sqliteTable("instance_status_counts", {
  status: text("status", { enum: INSTANCE_STATUSES }).$type<InstanceStatus>().primaryKey(),
  count: integer("count").notNull().default(0),
});

/**
 * One row per label of an instance, written only by triggers. A selector's `key=value` walks
 * `instance_labels_by_value` in creation order, as a status filter walks `instances_by_status`.
 */
export const instanceLabels = sqliteTable(
  "instance_labels",
  {
    instanceId: text("instance_id").notNull(),
    key: text("key").notNull(),
    value: text("value").notNull(),
    /** The instance's creation time, so the index yields the list's order. */
    createdOn: integer("created_on", { mode: "timestamp_ms" }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.instanceId, table.key] }),
    index("instance_labels_by_value").on(table.key, table.value, table.createdOn, table.instanceId),
  ],
);

/** Instances per label value and status, kept by triggers; rows that fall to zero are removed. */
export const instanceLabelCounts = sqliteTable(
  "instance_label_counts",
  {
    key: text("key").notNull(),
    value: text("value").notNull(),
    status: text("status", { enum: INSTANCE_STATUSES }).$type<InstanceStatus>().notNull(),
    count: integer("count").notNull(),
  },
  (table) => [primaryKey({ columns: [table.key, table.value, table.status] })],
);

export const METRIC_BUCKETS = ["m", "h"] as const;
export type MetricBucket = (typeof METRIC_BUCKETS)[number];

/** The key columns every metrics table starts with: the bucket's size and start. */
function bucketColumns() {
  return {
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
 * What happened to the segment's instances per minute (`m`) and per hour (`h`) and version,
 * kept by triggers as each instance is created, starts and finishes: counts of events, never of
 * states, so a restart, a delete or an expiry leaves what happened counted. `durations` is a
 * sparse histogram of the runs that finished in the bucket: `{ "<bin>": count }`.
 */
export const instanceMetrics = sqliteTable(
  "instance_metrics",
  { ...bucketColumns(), versionId: text("version_id").notNull(), ...eventColumns() },
  (table) => [
    primaryKey({ columns: [table.bucket, table.start, table.versionId] }),
    index("instance_metrics_by_age").on(table.bucket, table.start),
  ],
);

/** `instance_metrics` per value of the workflow's `metric_labels`, under the labels of each event. */
export const labelMetrics = sqliteTable(
  "label_metrics",
  { ...bucketColumns(), key: text("key").notNull(), value: text("value").notNull(), ...eventColumns() },
  (table) => [
    primaryKey({ columns: [table.bucket, table.start, table.key, table.value] }),
    index("label_metrics_by_age").on(table.bucket, table.start),
  ],
);

/**
 * Step attempts per minute and hour, by version and step name: how many, how many failed, a
 * histogram of their durations, and how many runs ended errored by this step's failure.
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
    primaryKey({ columns: [table.bucket, table.start, table.versionId, table.step] }),
    index("step_metrics_by_age").on(table.bucket, table.start),
  ],
);

/** Errors per hour, by error name, message shape and version: how often, first and last seen, an example. */
export const errorMetrics = sqliteTable(
  "error_metrics",
  {
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
    primaryKey({ columns: [table.start, table.name, table.shape, table.versionId] }),
    index("error_metrics_by_age").on(table.start),
  ],
);
