import { createRoute, z } from "@hono/zod-openapi";
import type { Principal } from "../access/principal";
import { TOKEN_PERMISSIONS } from "../db/schema";
import { envelopeOf, failureResponses, jsonResponse, listEnvelopeOf, ok, okPage } from "../lib/envelope";
import { createRouter } from "../lib/router";
import { createToken, getToken, listTokens, revokeToken } from "../services/tokens";
import { AccountParams, EventType, pageQuery, Timestamp, UtcDateTime, WorkflowName } from "./params";

const Token = z
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

const TokenCreated = Token.extend({
  value: z.string().openapi({ description: "The secret. Shown this once: only its hash is stored." }),
}).openapi("TokenCreated");

const TokenBody = z
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

const TokenParams = AccountParams.extend({
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
function verified(principal: Principal): z.infer<typeof Verified> {
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

const TOKENS = "/accounts/{account_id}/tokens";

/** Token verification for any token; token administration for the admin token only (see src/access/requests.ts). */
export const tokenRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/user/tokens/verify",
      tags: ["Tokens"],
      summary: "Verify the presented API token",
      responses: { 200: jsonResponse(envelopeOf(Verified), "The token is valid"), ...failureResponses() },
    }),
    (c) => c.json(ok(verified(c.get("principal"))), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${TOKENS}/verify`,
      tags: ["Tokens"],
      summary: "Verify the presented API token",
      request: { params: AccountParams },
      responses: { 200: jsonResponse(envelopeOf(Verified), "The token is valid"), ...failureResponses() },
    }),
    (c) => c.json(ok(verified(c.get("principal"))), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: TOKENS,
      tags: ["Tokens"],
      summary: "Create a scoped API token",
      request: {
        params: AccountParams,
        body: { required: true, content: { "application/json": { schema: TokenBody } } },
      },
      responses: {
        200: jsonResponse(envelopeOf(TokenCreated), "The token, with its secret"),
        ...failureResponses(400),
      },
    }),
    async (c) => {
      const created = await createToken(c.var.deps, c.req.valid("json"));
      c.set("auditDetail", { token_id: created.id, name: created.name, permissions: created.permissions });
      return c.json(ok(created), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: TOKENS,
      tags: ["Tokens"],
      summary: "List tokens, newest first",
      request: { params: AccountParams, query: pageQuery(20) },
      responses: { 200: jsonResponse(listEnvelopeOf(Token), "Tokens"), ...failureResponses(400) },
    }),
    async (c) => {
      const { page, per_page } = c.req.valid("query");
      const { items, total } = await listTokens(c.var.deps, { page, perPage: per_page });
      return c.json(okPage(items, { page, perPage: per_page, total }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${TOKENS}/{token_id}`,
      tags: ["Tokens"],
      summary: "Get a token",
      request: { params: TokenParams },
      responses: { 200: jsonResponse(envelopeOf(Token), "The token"), ...failureResponses(400, 404) },
    }),
    async (c) => c.json(ok(await getToken(c.var.deps, c.req.valid("param").token_id)), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: `${TOKENS}/{token_id}`,
      tags: ["Tokens"],
      summary: "Revoke a token, at once",
      request: { params: TokenParams },
      responses: { 200: jsonResponse(envelopeOf(Token), "The revoked token"), ...failureResponses(400, 404) },
    }),
    async (c) => {
      const { token_id } = c.req.valid("param");
      c.set("auditDetail", { token_id });
      return c.json(ok(await revokeToken(c.var.deps, token_id)), 200);
    },
  );
