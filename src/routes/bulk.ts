import { createRoute } from "@hono/zod-openapi";
import { listPage, ok, okList } from "../lib/envelope";
import { createRouter } from "../lib/router";
import { audited } from "../middleware/audit";
import {
  BulkBody,
  BulkJobQuery,
  bulkRequestOf,
  IdempotencyHeader,
  Job,
  JobParams,
  Preview,
  Result,
  ResultsQuery,
  TerminateAllQuery,
  TerminateAllResult,
  TerminateAllState,
  TerminateBatchBody,
  TerminateBatchResult,
} from "../schemas/bulk";
import { envelopeOf, failureResponses, jsonResponse, listEnvelopeOf } from "../schemas/envelope";
import { WorkflowParams } from "../schemas/params";
import { instancesRoute, WORKFLOW } from "../schemas/paths";
import { AUDITED } from "../services/audit/operations";
import {
  bulkJobResults,
  cancelBulkJob,
  createBulkJob,
  getBulkJob,
  listBulkJobs,
  runningTerminateAll,
  UNFINISHED,
} from "../services/bulk/jobs";
import { previewBulkJob } from "../services/bulk/preview";
import { findWorkflow } from "../services/workflows";

// ---------------------------------------------------------------------------------------------
// Routes (registered before the instance routes, so /instances/terminate is not an instance id)
// ---------------------------------------------------------------------------------------------

export const bulkRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: instancesRoute("bulk"),
      tags: ["Bulk jobs"],
      summary: "Pause, resume, terminate, restart, send an event to or delete many instances as one tracked job",
      request: {
        params: WorkflowParams,
        headers: IdempotencyHeader,
        body: { required: true, content: { "application/json": { schema: BulkBody } } },
      },
      responses: {
        200: jsonResponse(envelopeOf(Preview), "A dry run: what the job would do; nothing was done"),
        202: jsonResponse(envelopeOf(Job), "The job, accepted"),
        ...failureResponses(400, 404, 409),
      },
    }),
    async (c) => {
      const { workflow_name } = c.req.valid("param");
      const body = c.req.valid("json");
      if (body.dry_run) return c.json(ok(await previewBulkJob(c.var.deps, workflow_name, bulkRequestOf(body))), 200);
      const created = await audited(c, AUDITED.createBulkJob(workflow_name, body), () =>
        createBulkJob(c.var.deps, workflow_name, bulkRequestOf(body), {
          kind: "bulk",
          idempotencyKey: c.req.valid("header")["idempotency-key"],
        }),
      );
      return c.json(ok(created.job), 202);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: instancesRoute("batch", "/terminate"),
      tags: ["Bulk jobs"],
      summary: "Terminate up to 100 instances (Cloudflare's form; runs as a bulk job)",
      request: {
        params: WorkflowParams,
        body: { required: true, content: { "application/json": { schema: TerminateBatchBody } } },
      },
      responses: {
        200: jsonResponse(envelopeOf(TerminateBatchResult), "Accepted: the job terminates them asynchronously"),
        ...failureResponses(400, 404),
      },
    }),
    async (c) => {
      const { workflow_name } = c.req.valid("param");
      const created = await audited(c, AUDITED.terminateBatch(workflow_name), () =>
        createBulkJob(
          c.var.deps,
          workflow_name,
          { action: "terminate", instance_ids: c.req.valid("json") },
          { kind: "batch_terminate" },
        ),
      );
      return c.json(ok({ instancesTerminated: created.job.total, status: "ok" as const }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: instancesRoute("terminate"),
      tags: ["Bulk jobs"],
      summary: "Terminate every unfinished instance (one such job per workflow at a time)",
      request: {
        params: WorkflowParams,
        query: TerminateAllQuery,
      },
      responses: {
        200: jsonResponse(envelopeOf(TerminateAllResult), "Started, or already running"),
        ...failureResponses(400, 404),
      },
    }),
    async (c) => {
      const { workflow_name } = c.req.valid("param");
      const { status } = c.req.valid("query");
      const created = await audited(c, AUDITED.terminateAll(workflow_name), () =>
        createBulkJob(
          c.var.deps,
          workflow_name,
          { action: "terminate", filter: { status: status ? [status] : UNFINISHED } },
          { kind: "terminate_all" },
        ),
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
      path: instancesRoute("terminate"),
      tags: ["Bulk jobs"],
      summary: "Whether a terminate-all job is running",
      request: { params: WorkflowParams },
      responses: {
        200: jsonResponse(envelopeOf(TerminateAllState), "Its state"),
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
      request: { params: WorkflowParams, query: BulkJobQuery },
      responses: { 200: jsonResponse(listEnvelopeOf(Job), "Jobs"), ...failureResponses(400, 404) },
    }),
    async (c) => {
      const { workflow_name } = c.req.valid("param");
      const jobs = await listPage(c.req.valid("query"), (page) => listBulkJobs(c.var.deps, workflow_name, page));
      return c.json(okList(jobs), 200);
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
      const query = { outcome, cursor, perPage: per_page };
      return c.json(okList(await bulkJobResults(c.var.deps, workflow_name, job_id, query)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: `${WORKFLOW}/bulk/{job_id}/cancel`,
      tags: ["Bulk jobs"],
      summary: "Cancel a bulk job before its next item; what is left is skipped",
      request: { params: JobParams },
      responses: { 200: jsonResponse(envelopeOf(Job), "The job"), ...failureResponses(400, 404, 409) },
    }),
    async (c) => {
      const { workflow_name, job_id } = c.req.valid("param");
      const job = await audited(c, AUDITED.cancelBulkJob(workflow_name, job_id), () =>
        cancelBulkJob(c.var.deps, workflow_name, job_id),
      );
      return c.json(ok(job), 200);
    },
  );
