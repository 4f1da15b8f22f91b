import type { MiddlewareHandler } from "hono";
import { ADMIN, type Principal, refusal } from "../access/principal";
import { enforceRateLimit, rateSubjectOf } from "../access/rate-limit";
import { targetOf } from "../access/requests";
import { verifyStreamToken } from "../access/stream-token";
import { createDb } from "../db/client";
import type { AppEnv } from "../env";
import { ApiError } from "../lib/errors";
import { authenticateToken } from "../services/tokens";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Works out who is calling from `Authorization: Bearer <token>`: the ADMIN_TOKEN secret
 * (compared in constant time) or a scoped token (looked up by its hash); or, for clients that
 * cannot send headers with a WebSocket, a subscribe token in the `token` query parameter, which
 * `authorize` lets open one event stream and nothing else. Fails closed: with no ADMIN_TOKEN
 * configured, every request is refused with a message saying how to set one. Each credential's
 * requests count against its class's rate limit; requests with none that is valid count per
 * client IP, so guessing tokens is as limited as using one.
 */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    const configured = c.env.ADMIN_TOKEN;
    if (!configured) {
      throw new ApiError(
        "unauthenticated",
        "No ADMIN_TOKEN is configured, so every request is refused: set one with `wrangler secret put ADMIN_TOKEN` (locally, `npm run dev` writes one to .dev.vars)",
      );
    }
    let principal: Principal;
    try {
      principal = await principalOf(c.req.header("Authorization"), c.req.query("token"), configured, c.env);
    } catch (error) {
      if (error instanceof ApiError && error.kind === "unauthenticated") {
        await enforceRateLimit(c.env, "anonymous", c.req.header("CF-Connecting-IP") ?? "unknown");
      }
      throw error;
    }
    const subject = rateSubjectOf(principal);
    if (subject) await enforceRateLimit(c.env, subject.rateClass, subject.key);
    c.set("principal", principal);
    await next();
  };
}

async function principalOf(
  authorization: string | undefined,
  streamToken: string | undefined,
  configured: string,
  env: Env,
): Promise<Principal> {
  const presented = BEARER.exec(authorization ?? "")?.[1];
  if (!presented && streamToken !== undefined) {
    const principal = await verifyStreamToken(configured, streamToken);
    if (!principal) throw new ApiError("unauthenticated", "Invalid or expired subscribe token");
    return principal;
  }
  if (!presented) throw new ApiError("unauthenticated", "Missing API token: send `Authorization: Bearer <token>`");
  return (await tokensMatch(presented, configured)) ? ADMIN : authenticateToken({ db: createDb(env.DB) }, presented);
}

/** Refuses (403) a call the principal's token does not allow; see `targetOf` for the rules. */
export function authorize(): MiddlewareHandler<AppEnv> {
  return async function authorize(c, next) {
    const target = targetOf(c.req.method, c.req.path);
    const why = refusal(c.get("principal"), target);
    if (why) throw new ApiError("forbidden", why);
    c.set("target", target);
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
