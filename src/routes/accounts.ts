import { createRoute, z } from "@hono/zod-openapi";
import { failureResponses, jsonResponse, listEnvelopeOf, okPage } from "../lib/envelope";
import { createRouter } from "../lib/router";

const Account = z
  .object({ id: z.string(), name: z.string(), type: z.literal("standard") })
  .openapi("Account", { description: "The one account this deployment serves (ACCOUNT_ID)." });

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
      okPage([{ id: c.env.ACCOUNT_ID, name: "Workflow control plane", type: "standard" as const }], {
        page: 1,
        perPage: 20,
        total: 1,
      }),
      200,
    ),
);
