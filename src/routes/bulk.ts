import { createRoute, z } from "@hono/zod-openapi";
import { BULK_ACTIONS, BULK_JOB_KINDS, BULK_JOB_STATUSES } from "../db/schema";
import { envelopeOf, failureResponses, jsonResponse, listEnvelopeOf, ok, okList, okPage } from "../lib/envelope";
import { createRouter } from "../lib/router";
import {
  type BulkRequest,
  bulkJobResults,
  cancelBulkJob,
  createBulkJob,
  getBulkJob,
  listBulkJobs,
  runningTerminateAll,
  UNFINISHED,
} from "../services/bulk/jobs";
import { findWorkflow } from "../services/workflows";
import { cursorQuery, InstanceId, pageQuery, Reason, Status, Timestamp, UtcDateTime, WorkflowParams } from "./params";

// ---------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------

const Filter = z
  .object({
    status: Status.optional(),
    date_start: UtcDateTime.optional(),
    date_end: UtcDateTime.optional(),
  })
  .openapi("BulkFilter");

export const BulkBody = z
  .union([
    z.strictObject({
      action: z.enum(BULK_ACTIONS),
      instance_ids: z.array(InstanceId).min(1).max(10_000),
      reason: Reason,
    }),
    z.strictObject({ action: z.enum(BULK_ACTIONS), filter: Filter, reason: Reason }),
  ])
  .openapi("BulkRequest", {
    description: "Either instance_ids (1 to 10,000) or a filter, resolved to ids when the job is accepted.",
  });

const Job = z
  .object({
    id: z.string().uuid(),
    workflow_name: z.string(),
    kind: z.enum(BULK_JOB_KINDS),
    action: z.enum(BULK_ACTIONS),
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
      .object({ status: z.array(Status).optional(), date_start: Timestamp.optional(), date_end: Timestamp.optional() })
      .nullable(),
    ids_count: z.number().int().nullable(),
  })
  .openapi("BulkJob");

const Outcome = z.enum(["succeeded", "skipped", "failed", "pending"]);

const Result = z
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

const JobParams = WorkflowParams.extend({
  job_id: z
    .string()
    .uuid()
    .openapi({ param: { name: "job_id", in: "path" } }),
});

const IdempotencyHeader = z.object({
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

export const ResultsQuery = cursorQuery({ cursorLength: 32, maxPerPage: 1000, defaultPerPage: 100 }).extend({
  outcome: Outcome.optional().openapi({ param: { name: "outcome", in: "query" } }),
});

const WORKFLOW = "/accounts/{account_id}/workflows/{workflow_name}";

/** The job a validated bulk body asks for (the filter's dates as ISO text, one status as a list). */
export function bulkRequestOf(body: z.output<typeof BulkBody>): BulkRequest {
  if ("instance_ids" in body) return { action: body.action, instance_ids: body.instance_ids };
  const { status, date_start, date_end } = body.filter;
  return {
    action: body.action,
    filter: {
      ...(status ? { status: [status] } : {}),
      ...(date_start ? { date_start: date_start.toISOString() } : {}),
      ...(date_end ? { date_end: date_end.toISOString() } : {}),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Routes (registered before the instance routes, so /instances/terminate is not an instance id)
// ---------------------------------------------------------------------------------------------

export const bulkRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: `${WORKFLOW}/instances/bulk`,
      tags: ["Bulk jobs"],
      summary: "Pause, resume or terminate many instances as one tracked job",
      request: {
        params: WorkflowParams,
        headers: IdempotencyHeader,
        body: { required: true, content: { "application/json": { schema: BulkBody } } },
      },
      responses: { 202: jsonResponse(envelopeOf(Job), "The job, accepted"), ...failureResponses(400, 404, 409) },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const request = bulkRequestOf(body);
      const created = await createBulkJob(c.var.deps, c.req.valid("param").workflow_name, request, {
        kind: "bulk",
        idempotencyKey: c.req.valid("header")["idempotency-key"],
      });
      c.set("auditReason", body.reason);
      c.set("auditDetail", {
        job_id: created.job.id,
        action: body.action,
        total: created.job.total,
        outcome: created.outcome,
      });
      return c.json(ok(created.job), 202);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: `${WORKFLOW}/instances/batch/terminate`,
      tags: ["Bulk jobs"],
      summary: "Terminate up to 100 instances (Cloudflare's form; runs as a bulk job)",
      request: {
        params: WorkflowParams,
        body: { required: true, content: { "application/json": { schema: z.array(InstanceId).min(1).max(100) } } },
      },
      responses: {
        200: jsonResponse(
          envelopeOf(z.object({ instancesTerminated: z.number().int(), status: z.enum(["ok", "already_running"]) })),
          "Accepted: the job terminates them asynchronously",
        ),
        ...failureResponses(400, 404),
      },
    }),
    async (c) => {
      const created = await createBulkJob(
        c.var.deps,
        c.req.valid("param").workflow_name,
        { action: "terminate", instance_ids: c.req.valid("json") },
        { kind: "batch_terminate" },
      );
      return c.json(ok({ instancesTerminated: created.job.total, status: "ok" as const }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: `${WORKFLOW}/instances/terminate`,
      tags: ["Bulk jobs"],
      summary: "Terminate every unfinished instance (one such job per workflow at a time)",
      request: {
        params: WorkflowParams,
        query: z.object({
          status: z
            .enum(["queued", "running", "paused", "waitingForPause", "waiting"])
            .optional()
            .openapi({ param: { name: "status", in: "query" }, description: "Only instances in this status." }),
        }),
      },
      responses: {
        200: jsonResponse(
          envelopeOf(z.object({ status: z.enum(["ok", "already_running"]) })),
          "Started, or already running",
        ),
        ...failureResponses(400, 404),
      },
    }),
    async (c) => {
      const { status } = c.req.valid("query");
      const created = await createBulkJob(
        c.var.deps,
        c.req.valid("param").workflow_name,
        { action: "terminate", filter: { status: status ? [status] : UNFINISHED } },
        { kind: "terminate_all" },
      );
      return c.json(
        ok({ status: created.outcome === "already_running" ? ("already_running" as const) : ("ok" as const) }),
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${WORKFLOW}/instances/terminate`,
      tags: ["Bulk jobs"],
      summary: "Whether a terminate-all job is running",
      request: { params: WorkflowParams },
      responses: {
        200: jsonResponse(envelopeOf(z.object({ status: z.enum(["running", "not_running"]) })), "Its state"),
        ...failureResponses(400, 404),
      },
    }),
    async (c) => {
      const workflow = await findWorkflow(c.var.deps.db, c.req.valid("param").workflow_name);
      const running = await runningTerminateAll(c.var.deps.db, workflow.id);
      return c.json(ok({ status: running ? ("running" as const) : ("not_running" as const) }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${WORKFLOW}/bulk`,
      tags: ["Bulk jobs"],
      summary: "List a workflow's bulk jobs, newest first",
      request: { params: WorkflowParams, query: pageQuery(20) },
      responses: { 200: jsonResponse(listEnvelopeOf(Job), "Jobs"), ...failureResponses(400, 404) },
    }),
    async (c) => {
      const { page, per_page } = c.req.valid("query");
      const { items, total } = await listBulkJobs(c.var.deps, c.req.valid("param").workflow_name, {
        page,
        perPage: per_page,
      });
      return c.json(okPage(items, { page, perPage: per_page, total }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${WORKFLOW}/bulk/{job_id}`,
      tags: ["Bulk jobs"],
      summary: "A bulk job's progress",
      request: { params: JobParams },
      responses: { 200: jsonResponse(envelopeOf(Job), "The job"), ...failureResponses(400, 404) },
    }),
    async (c) => {
      const { workflow_name, job_id } = c.req.valid("param");
      return c.json(ok(await getBulkJob(c.var.deps, workflow_name, job_id)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${WORKFLOW}/bulk/{job_id}/results`,
      tags: ["Bulk jobs"],
      summary: "A bulk job's ledger: one row per instance, in target order",
      request: { params: JobParams, query: ResultsQuery },
      responses: { 200: jsonResponse(listEnvelopeOf(Result), "Results"), ...failureResponses(400, 404) },
    }),
    async (c) => {
      const { workflow_name, job_id } = c.req.valid("param");
      const { outcome, cursor, per_page } = c.req.valid("query");
      const { items, resultInfo } = await bulkJobResults(c.var.deps, workflow_name, job_id, {
        outcome,
        cursor,
        perPage: per_page,
      });
      return c.json(okList(items, resultInfo), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: `${WORKFLOW}/bulk/{job_id}/cancel`,
      tags: ["Bulk jobs"],
      summary: "Cancel a bulk job between chunks; what is left is skipped",
      request: { params: JobParams },
      responses: { 200: jsonResponse(envelopeOf(Job), "The job"), ...failureResponses(400, 404, 409) },
    }),
    async (c) => {
      const { workflow_name, job_id } = c.req.valid("param");
      return c.json(ok(await cancelBulkJob(c.var.deps, workflow_name, job_id)), 200);
    },
  );
