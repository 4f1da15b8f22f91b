import { z } from "@hono/zod-openapi";
import { BULK_ACTIONS, BULK_JOB_KINDS, BULK_JOB_STATUSES } from "../db/schema";
import { TRIGGER_SOURCES } from "../domain/instance-status";
import { formatSelector } from "../domain/labels";
import { type Json, jsonByteLength, MAX_PAYLOAD_BYTES } from "../lib/json";
import type { BulkRequest } from "../services/bulk/jobs";
import { InstanceListQuery, RestartFrom } from "./instances";
import { cursorQuery, EventType, InstanceId, pageQuery, Reason, Status, Timestamp, WorkflowParams } from "./params";

/**
 * The list's filters (`GET …/instances`). Strict: a key it does not know would otherwise be
 * dropped, and the job would act on more than was meant.
 */
const Filter = InstanceListQuery.pick({
  status: true,
  date_start: true,
  date_end: true,
  version_id: true,
  trigger_source: true,
  error_name: true,
  id_prefix: true,
  labels: true,
})
  .strict()
  .openapi("BulkFilter", { description: "Any filter `GET …/instances` takes; an unknown key is refused." });

const BulkEvent = z
  .strictObject({
    type: EventType,
    payload: z
      .unknown()
      .refine((payload) => jsonByteLength(payload) <= MAX_PAYLOAD_BYTES, "must be at most 1 MiB as JSON")
      // A value of a JSON body is JSON (zod's own json type recurses forever in the OpenAPI document).
      .transform((payload) => payload as Json)
      .optional(),
  })
  .openapi("BulkEvent", { description: "The event send_event delivers to every target." });

export const BulkBody = z
  .strictObject({
    action: z.enum(BULK_ACTIONS),
    instance_ids: z.array(InstanceId).min(1).max(10_000).optional(),
    filter: Filter.optional(),
    reason: Reason,
    rollback: z.boolean().optional().openapi({ description: "terminate only: run rollback handlers first." }),
    from: RestartFrom.strict().optional().openapi({ description: "restart only: the step to restart from." }),
    event: BulkEvent.optional(),
    max_per_second: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .optional()
      .openapi({ description: "At most this many instances acted on per second, across chunks and restarts." }),
    dry_run: z
      .boolean()
      .optional()
      .openapi({ description: "Answer 200 with what the job would do, and do nothing (no job is stored)." }),
  })
  .superRefine((body, context) => {
    if ((body.instance_ids === undefined) === (body.filter === undefined)) {
      context.addIssue({ code: "custom", message: "give exactly one of instance_ids and filter", path: [] });
    }
    const only = { rollback: "terminate", from: "restart", event: "send_event" } as const;
    for (const [key, action] of Object.entries(only)) {
      if (body[key as keyof typeof only] !== undefined && body.action !== action) {
        context.addIssue({ code: "custom", message: `${key} applies only to action ${action}`, path: [key] });
      }
    }
    if (body.action === "send_event" && body.event === undefined) {
      context.addIssue({ code: "custom", message: "send_event needs an event: { type, payload }", path: ["event"] });
    }
  })
  .openapi("BulkRequest", {
    description: "Either instance_ids (1 to 10,000) or a filter, resolved to ids when the job is accepted.",
  });

export const Job = z
  .object({
    id: z.string().uuid(),
    workflow_name: z.string(),
    kind: z.enum(BULK_JOB_KINDS),
    action: z.enum(BULK_ACTIONS),
    options: z
      .object({
        rollback: z.boolean().optional(),
        from: RestartFrom.optional(),
        event: BulkEvent.optional(),
        max_per_second: z.number().int().optional(),
      })
      .nullable()
      .openapi({ description: "What the action was given beyond its name (rollback, from, event)." }),
    status: z.enum(BULK_JOB_STATUSES),
    total: z.number().int(),
    succeeded: z.number().int(),
    skipped: z.number().int(),
    failed: z.number().int(),
    pending: z.number().int(),
    created_on: Timestamp,
    started_on: Timestamp.nullable(),
    ended_on: Timestamp.nullable(),
    filter: z
      .object({
        status: z.array(Status).optional(),
        date_start: Timestamp.optional(),
        date_end: Timestamp.optional(),
        version_id: z.string().optional(),
        trigger_source: z.enum(TRIGGER_SOURCES).optional(),
        error_name: z.string().optional(),
        id_prefix: z.string().optional(),
        labels: z.string().optional().openapi({ description: "The label selector, as the job read it." }),
      })
      .nullable(),
    ids_count: z.number().int().nullable(),
  })
  .openapi("BulkJob");

export const Preview = z
  .object({
    total: z.number().int().openapi({ description: "The targets the job would freeze now." }),
    sample: z.array(
      z.object({
        id: z.string(),
        status: Status.nullable(),
        outcome: z.enum(["act", "skip"]),
        reason: z.string().optional(),
      }),
    ),
    would_act: z.number().int(),
    would_skip: z.number().int(),
    steps_estimate: z
      .number()
      .int()
      .optional()
      .openapi({ description: "Restart only: the steps the targets acted on would run again." }),
    cost_estimate_usd: z
      .number()
      .optional()
      .openapi({ description: "Restart only: the steps at Cloudflare's price per step beyond the included quota." }),
  })
  .openapi("BulkPreview");

const Outcome = z.enum(["succeeded", "skipped", "failed", "pending"]);

export const Result = z
  .object({
    instance_id: z.string(),
    outcome: Outcome,
    reason: z
      .string()
      .nullable()
      .openapi({ description: "Why an item was skipped (already terminated, not found, …)." }),
    error: z.object({ name: z.string(), message: z.string() }).nullable(),
    status_before: Status.nullable(),
    status_after: Status.nullable(),
    attempts: z.number().int(),
  })
  .openapi("BulkResult");

export const JobParams = WorkflowParams.extend({
  job_id: z
    .string()
    .uuid()
    .openapi({ param: { name: "job_id", in: "path" } }),
});

export const IdempotencyHeader = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({
      param: { name: "idempotency-key", in: "header" },
      description: "A retry with the same key returns the same job.",
    }),
});

export const BulkJobQuery = pageQuery(20);

export const ResultsQuery = cursorQuery({ cursorLength: 32, maxPerPage: 1000, defaultPerPage: 100 }).extend({
  outcome: Outcome.optional().openapi({ param: { name: "outcome", in: "query" } }),
});

/** The job a validated bulk body asks for (the filter's dates as ISO text, one status as a list). */
export function bulkRequestOf(body: z.output<typeof BulkBody>): BulkRequest {
  const { action, instance_ids, filter, rollback, from, event, max_per_second } = body;
  const given = { rollback, from, event, max_per_second };
  const options = Object.values(given).every((value) => value === undefined) ? {} : { options: given };
  if (instance_ids) return { action, instance_ids, ...options };
  const { status, date_start, date_end, labels, ...rest } = filter ?? {};
  return {
    action,
    ...options,
    // Keys left undefined are not stored (JSON has no undefined).
    filter: {
      status: status ? [status] : undefined,
      date_start: date_start?.toISOString(),
      date_end: date_end?.toISOString(),
      labels: labels ? formatSelector(labels) : undefined,
      ...rest,
    },
  };
}

/** Cloudflare's batch terminate: up to 100 ids, answered once the job is accepted. */
export const TerminateBatchBody = z.array(InstanceId).min(1).max(100);

export const TerminateBatchResult = z.object({
  instancesTerminated: z.number().int(),
  status: z.enum(["ok", "already_running"]),
});

export const TerminateAllQuery = z.object({
  status: z
    .enum(["queued", "running", "paused", "waitingForPause", "waiting"])
    .optional()
    .openapi({ param: { name: "status", in: "query" }, description: "Only instances in this status." }),
});

export const TerminateAllResult = z.object({ status: z.enum(["ok", "already_running"]) });

export const TerminateAllState = z.object({ status: z.enum(["running", "not_running"]) });
