import { createRoute } from "@hono/zod-openapi";
import { okList } from "../lib/envelope";
import { createRouter } from "../lib/router";
import { AuditQuery, AuditRecord } from "../schemas/audit";
import { failureResponses, jsonResponse, listEnvelopeOf } from "../schemas/envelope";
import { AccountParams } from "../schemas/params";
import { listAudit } from "../services/audit/trail";

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
    const query = { workflow, actorId: actor_id, action, outcome, since, until, cursor, perPage: per_page };
    return c.json(okList(await listAudit(c.var.deps, query)), 200);
  },
);
