import { z } from "@hono/zod-openapi";
import { cursorQuery, UtcDateTime, WorkflowName } from "./params";

export const AuditRecord = z
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

export const AuditQuery = cursorQuery({ cursorLength: 20, maxPerPage: 100, defaultPerPage: 50 }).extend({
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
