import { createRoute } from "@hono/zod-openapi";
import { visibleWorkflows } from "../access/principal";
import { listPage, ok, okList } from "../lib/envelope";
import { createRouter } from "../lib/router";
import { audited } from "../middleware/audit";
import { envelopeOf, failureResponses, jsonResponse, listEnvelopeOf } from "../schemas/envelope";
import { AccountParams, WorkflowParams } from "../schemas/params";
import {
  Workflow,
  WorkflowDefinitionBody,
  WorkflowDeleted,
  WorkflowDetail,
  WorkflowQuery,
  WorkflowUpdate,
} from "../schemas/workflows";
import { AUDITED } from "../services/audit/operations";
import { deleteWorkflow, getWorkflow, listWorkflows, putWorkflow } from "../services/workflows";

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
      const query = c.req.valid("query");
      const only = visibleWorkflows(c.get("principal"));
      const workflows = await listPage(query, (page) =>
        listWorkflows(c.var.deps, { ...page, search: query.search, only }),
      );
      return c.json(okList(workflows), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/accounts/{account_id}/workflows/{workflow_name}",
      tags: ["Workflows"],
      summary: "Get a workflow with its instance counts",
      request: { params: WorkflowParams },
      responses: { 200: jsonResponse(envelopeOf(WorkflowDetail), "The workflow"), ...failureResponses(400, 404) },
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
      const { workflow_name } = c.req.valid("param");
      const updated = await audited(c, AUDITED.putWorkflow(workflow_name), () =>
        putWorkflow(c.var.deps, workflow_name, definition),
      );
      return c.json(ok(updated), 200);
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
        200: jsonResponse(envelopeOf(WorkflowDeleted), "Deleted"),
        ...failureResponses(400, 404),
      },
    }),
    async (c) => {
      const { workflow_name } = c.req.valid("param");
      await audited(c, AUDITED.deleteWorkflow(workflow_name), () => deleteWorkflow(c.var.deps, workflow_name));
      return c.json(ok({ status: "ok" as const, success: true }), 200);
    },
  );
