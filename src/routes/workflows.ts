import { createRoute, z } from "@hono/zod-openapi";
import { visibleWorkflows } from "../access/principal";
import { INSTANCE_STATUSES } from "../domain/instance-status";
import { envelopeOf, failureResponses, jsonResponse, listEnvelopeOf, ok, okPage } from "../lib/envelope";
import { createRouter } from "../lib/router";
import { retentionInMs } from "../lib/time";
import { deleteWorkflow, getWorkflow, listWorkflows, putWorkflow } from "../services/workflows";
import { AccountParams, pageQuery, RetentionInput, Timestamp, WorkflowName, WorkflowParams } from "./params";

const InstanceCounts = z
  .object(
    Object.fromEntries(INSTANCE_STATUSES.map((status) => [status, z.number().int()])) as Record<
      (typeof INSTANCE_STATUSES)[number],
      z.ZodNumber
    >,
  )
  .openapi("InstanceCounts", { description: "Number of instances in each status, exact." });

const WorkflowFields = {
  id: z.string().uuid(),
  name: WorkflowName,
  class_name: z.string(),
  script_name: z.string(),
  created_on: Timestamp,
  modified_on: Timestamp,
  triggered_on: Timestamp.nullable().openapi({ description: "When the newest instance was created." }),
  version_id: z.string().uuid().openapi({ description: "The current version, which new instances run." }),
  terminator_running: z
    .union([z.literal(0), z.literal(1)])
    .openapi({ description: "1 while a terminate-all job runs." }),
};

const Workflow = z.object({ ...WorkflowFields, instances: InstanceCounts }).openapi("Workflow");

const WorkflowUpdate = z.object({ ...WorkflowFields, is_deleted: z.literal(0) }).openapi("WorkflowUpdate");

export const WorkflowDefinitionBody = z
  .object({
    class_name: z.string().min(1).max(255),
    script_name: z.string().min(1).max(255),
    limits: z.object({ steps: z.number().int().min(1).max(25_000).optional() }).optional(),
    default_retention: RetentionInput.transform(retentionInMs).optional(),
    schedules: z
      .array(z.object({ cron: z.string().min(1).max(256) }))
      .max(
        0,
        "cron schedules run on Cloudflare's side: declare `schedules` on the [[workflows]] binding of the Worker that defines the workflow",
      )
      .optional()
      .openapi({ description: "Not supported here: declare `schedules` on the Workflow's binding instead." }),
  })
  .openapi("WorkflowDefinition");

export const WorkflowQuery = pageQuery(10).extend({
  search: WorkflowName.optional().openapi({
    param: { name: "search", in: "query" },
    description: "Only workflows whose name contains this text.",
  }),
});

export const workflowRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/accounts/{account_id}/workflows",
      tags: ["Workflows"],
      summary: "List workflows",
      request: { params: AccountParams, query: WorkflowQuery },
      responses: { 200: jsonResponse(listEnvelopeOf(Workflow), "Workflows by name"), ...failureResponses(400) },
    }),
    async (c) => {
      const { page, per_page, search } = c.req.valid("query");
      const only = visibleWorkflows(c.get("principal"));
      const { items, total } = await listWorkflows(c.var.deps, { page, perPage: per_page, search, only });
      return c.json(okPage(items, { page, perPage: per_page, total }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/accounts/{account_id}/workflows/{workflow_name}",
      tags: ["Workflows"],
      summary: "Get a workflow with its instance counts",
      request: { params: WorkflowParams },
      responses: { 200: jsonResponse(envelopeOf(Workflow), "The workflow"), ...failureResponses(400, 404) },
    }),
    async (c) => c.json(ok(await getWorkflow(c.var.deps, c.req.valid("param").workflow_name)), 200),
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/accounts/{account_id}/workflows/{workflow_name}",
      tags: ["Workflows"],
      summary: "Create or update a workflow",
      description:
        "A change of class_name, script_name, limits or default_retention records a new version; an identical PUT changes nothing.",
      request: {
        params: WorkflowParams,
        body: { required: true, content: { "application/json": { schema: WorkflowDefinitionBody } } },
      },
      responses: {
        200: jsonResponse(envelopeOf(WorkflowUpdate), "The workflow and its current version"),
        ...failureResponses(400),
      },
    }),
    async (c) => {
      const { schedules: _none, ...definition } = c.req.valid("json");
      return c.json(ok(await putWorkflow(c.var.deps, c.req.valid("param").workflow_name, definition)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/accounts/{account_id}/workflows/{workflow_name}",
      tags: ["Workflows"],
      summary: "Delete a workflow, its versions and its instance index",
      request: { params: WorkflowParams },
      responses: {
        200: jsonResponse(
          envelopeOf(z.object({ status: z.literal("ok"), success: z.boolean().nullable() })),
          "Deleted",
        ),
        ...failureResponses(400, 404),
      },
    }),
    async (c) => {
      await deleteWorkflow(c.var.deps, c.req.valid("param").workflow_name);
      return c.json(ok({ status: "ok" as const, success: true }), 200);
    },
  );
