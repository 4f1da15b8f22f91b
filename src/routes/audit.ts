import { createRoute, z } from "@hono/zod-openapi";
import { failureResponses, jsonResponse, listEnvelopeOf, okList } from "../lib/envelope";
import { createRouter } from "../lib/router";
import { listAudit } from "../services/audit";
import { AccountParams, cursorQuery, UtcDateTime, WorkflowName } from "./params";

const AuditRecord = z
  .object({
    id: z.number().int(),
    at: z.string().openapi({ format: "date-time" }),
    actor: z.object({
      type: z.enum(["admin", "token", "rpc"]),
      id: z.string().openapi({ description: "The token's id, 'admin', or 'rpc:<caller>' for a service binding." }),
      name: z.string(),
    }),
    action: z.string().openapi({ example: "PATCH /workflows/:workflow_name/instances/:instance_id/status" }),
    workflow_name: z.string().nullable(),
    instance_id: z.string().nullable(),
    request_id: z.string(),
    outcome: z.enum(["success", "failure"]),
    status: z.number().int(),
    error_code: z.number().int().nullable(),
    reason: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi("AuditRecord");

const AuditQuery = cursorQuery({ cursorLength: 20, maxPerPage: 100, defaultPerPage: 50 }).extend({
  workflow: WorkflowName.optional().openapi({ param: { name: "workflow", in: "query" } }),
  actor_id: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({ param: { name: "actor_id", in: "query" } }),
  action: z
    .string()
    .min(1)
    .max(300)
    .optional()
    .openapi({ param: { name: "action", in: "query" } }),
  outcome: z
    .enum(["success", "failure"])
    .optional()
    .openapi({ param: { name: "outcome", in: "query" } }),
  since: UtcDateTime.optional().openapi({ param: { name: "since", in: "query" } }),
  until: UtcDateTime.optional().openapi({ param: { name: "until", in: "query" } }),
});

/**
 * The audit trail, at /accounts/:account_id/audit: outside /workflows, so no workflow name can
 * clash with it. The admin token only.
 */
export const auditRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/accounts/{account_id}/audit",
    tags: ["Audit"],
    summary: "Every mutating call, newest first",
    request: { params: AccountParams, query: AuditQuery },
    responses: { 200: jsonResponse(listEnvelopeOf(AuditRecord), "Records"), ...failureResponses(400) },
  }),
  async (c) => {
    const { workflow, actor_id, action, outcome, since, until, cursor, per_page } = c.req.valid("query");
    const { items, resultInfo } = await listAudit(c.var.deps, {
      workflow,
      actorId: actor_id,
      action,
      outcome,
      since,
      until,
      cursor,
      perPage: per_page,
    });
    return c.json(okList(items, resultInfo), 200);
  },
);
