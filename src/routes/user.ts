import { createRoute, z } from "@hono/zod-openapi";
import { envelopeOf, failureResponses, jsonResponse, ok } from "../lib/envelope";
import { createRouter } from "../lib/router";

const TokenStatus = z.object({ id: z.string(), status: z.literal("active") }).openapi("TokenStatus");

export const userRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/user/tokens/verify",
    tags: ["Tokens"],
    summary: "Verify the presented API token",
    responses: { 200: jsonResponse(envelopeOf(TokenStatus), "The token is valid"), ...failureResponses() },
  }),
  // Reaching the handler means the auth middleware accepted the token.
  (c) => c.json(ok({ id: "admin", status: "active" as const }), 200),
);
