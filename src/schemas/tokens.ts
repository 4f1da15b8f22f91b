import { z } from "@hono/zod-openapi";
import type { Principal } from "../access/principal";
import { TOKEN_PERMISSIONS } from "../db/schema";
import { AccountParams, EventType, Timestamp, UtcDateTime, WorkflowName } from "./params";

export const Token = z
  .object({
    id: z.string(),
    name: z.string(),
    status: z.enum(["active", "expired", "revoked"]),
    permissions: z.array(z.enum(TOKEN_PERMISSIONS)),
    workflows: z.array(z.string()).nullable(),
    event_types: z.array(z.string()).nullable(),
    created_on: Timestamp,
    expires_on: Timestamp.nullable(),
    revoked_on: Timestamp.nullable(),
  })
  .openapi("Token");

export const TokenCreated = Token.extend({
  value: z.string().openapi({ description: "The secret. Shown this once: only its hash is stored." }),
}).openapi("TokenCreated");

export const TokenBody = z
  .object({
    name: z.string().min(1).max(100),
    permissions: z.array(z.enum(TOKEN_PERMISSIONS)).min(1).openapi({
      description: "read: GETs. edit: everything but tokens and the audit trail. events: send events only.",
    }),
    workflows: z.array(WorkflowName).min(1).max(100).optional().openapi({ description: "Only these workflows." }),
    event_types: z.array(EventType).min(1).max(100).optional().openapi({ description: "Only these event types." }),
    expires_on: UtcDateTime.optional(),
  })
  .openapi("TokenRequest");

export const TokenParams = AccountParams.extend({
  token_id: z
    .string()
    .regex(/^[0-9a-f]{32}$/, "must be a token id (32 hexadecimal characters)")
    .openapi({ param: { name: "token_id", in: "path" } }),
});

export const Verified = z
  .object({
    id: z.string(),
    status: z.literal("active"),
    name: z.string(),
    admin: z.boolean().openapi({ description: "True for the admin token, which may do everything." }),
    permissions: z.array(z.enum(TOKEN_PERMISSIONS)),
    workflows: z.array(z.string()).nullable().openapi({ description: "The workflows it covers; null for all." }),
    event_types: z.array(z.string()).nullable(),
  })
  .openapi("TokenStatus", {
    description: "Cloudflare's id and status, and what the token may do, so a client can offer only that.",
  });

/** What the presented credential may do; reaching a handler means authentication accepted it. */
export function verified(principal: Principal): z.infer<typeof Verified> {
  if (principal.kind !== "token") {
    return {
      id: principal.id,
      status: "active",
      name: principal.name,
      admin: true,
      permissions: [...TOKEN_PERMISSIONS],
      workflows: null,
      event_types: null,
    };
  }
  return {
    id: principal.id,
    status: "active",
    name: principal.name,
    admin: false,
    permissions: principal.permissions,
    workflows: principal.workflows,
    event_types: principal.eventTypes,
  };
}
