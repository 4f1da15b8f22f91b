import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { ApiError } from "../lib/errors";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Requires `Authorization: Bearer <ADMIN_TOKEN>`. Fails closed: with no ADMIN_TOKEN
 * configured, every request is refused with a message saying how to set one.
 */
export function requireAdminToken(): MiddlewareHandler<AppEnv> {
  return async function requireAdminToken(c, next) {
    const configured = c.env.ADMIN_TOKEN;
    if (!configured) {
      throw new ApiError(
        "unauthenticated",
        "No ADMIN_TOKEN is configured, so every request is refused: set one with `wrangler secret put ADMIN_TOKEN` (locally, `npm run dev` writes one to .dev.vars)",
      );
    }
    const presented = BEARER.exec(c.req.header("Authorization") ?? "")?.[1];
    if (!presented) {
      throw new ApiError("unauthenticated", "Missing API token: send `Authorization: Bearer <token>`");
    }
    if (!(await tokensMatch(presented, configured))) {
      throw new ApiError("unauthenticated", "Invalid API token");
    }
    await next();
  };
}

/** Compares in constant time; hashing first makes the inputs equal in length. */
async function tokensMatch(presented: string, expected: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(presented)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}
