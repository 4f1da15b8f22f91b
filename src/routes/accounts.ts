import { createRoute } from "@hono/zod-openapi";
import { okList, pageResult } from "../lib/envelope";
import { createRouter } from "../lib/router";
import { Account } from "../schemas/accounts";
import { failureResponses, jsonResponse, listEnvelopeOf } from "../schemas/envelope";

/**
 * `GET /accounts`, as Cloudflare answers it: wrangler asks it when no account id is configured,
 * and the dashboard signs in with a token alone.
 */
export const accountRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/accounts",
    tags: ["Accounts"],
    summary: "The account this control plane serves",
    responses: { 200: jsonResponse(listEnvelopeOf(Account), "One account"), ...failureResponses() },
  }),
  (c) =>
    c.json(
      okList(
        pageResult([{ id: c.env.ACCOUNT_ID, name: "Workflow control plane", type: "standard" as const }], {
          page: 1,
          perPage: 20,
          total: 1,
        }),
      ),
      200,
    ),
);
