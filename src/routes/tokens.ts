import { createRoute } from "@hono/zod-openapi";
import { listPage, ok, okList } from "../lib/envelope";
import { createRouter } from "../lib/router";
import { audited } from "../middleware/audit";
import { envelopeOf, failureResponses, jsonResponse, listEnvelopeOf } from "../schemas/envelope";
import { AccountParams, pageQuery } from "../schemas/params";
import { Token, TokenBody, TokenCreated, TokenParams, Verified, verified } from "../schemas/tokens";
import { AUDITED } from "../services/audit/operations";
import { createToken, getToken, listTokens, revokeToken } from "../services/tokens";

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
      const created = await audited(c, AUDITED.createToken(), () => createToken(c.var.deps, c.req.valid("json")));
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
      const tokens = await listPage(c.req.valid("query"), (page) => listTokens(c.var.deps, page));
      return c.json(okList(tokens), 200);
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
      const revoked = await audited(c, AUDITED.revokeToken(token_id), () => revokeToken(c.var.deps, token_id));
      return c.json(ok(revoked), 200);
    },
  );
