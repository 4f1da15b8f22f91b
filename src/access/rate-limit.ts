import { ApiError } from "../lib/errors";
import type { Principal } from "./principal";

/** Who a limit counts: each class has its own Rate Limiting binding (wrangler.toml). */
export type RateClass = "admin" | "token" | "events" | "anonymous";

type RateLimitBinding = "ADMIN_RATE_LIMIT" | "TOKEN_RATE_LIMIT" | "EVENTS_RATE_LIMIT" | "ANONYMOUS_RATE_LIMIT";

/** Each class's binding, and the period it counts over (as configured there), in seconds. */
export const RATE_LIMITS: Record<RateClass, { binding: RateLimitBinding; periodSeconds: 10 | 60 }> = {
  admin: { binding: "ADMIN_RATE_LIMIT", periodSeconds: 10 },
  token: { binding: "TOKEN_RATE_LIMIT", periodSeconds: 60 },
  events: { binding: "EVENTS_RATE_LIMIT", periodSeconds: 60 },
  anonymous: { binding: "ANONYMOUS_RATE_LIMIT", periodSeconds: 60 },
};

/** Cloudflare's own words past its limit. */
const RATE_LIMITED = "Please wait and consider throttling your request speed";

/**
 * The class and key a credential counts under: the admin token; a token that may only send
 * events (a partner's), apart from the other scoped tokens; each token by its id. A Worker
 * calling over a service binding is not limited here (its own binding limits it).
 */
export function rateSubjectOf(principal: Principal): { rateClass: RateClass; key: string } | null {
  switch (principal.kind) {
    case "admin":
      return { rateClass: "admin", key: "admin" };
    case "rpc":
      return null;
    case "token": {
      const eventsOnly = principal.permissions.length > 0 && principal.permissions.every((p) => p === "events");
      return { rateClass: eventsOnly ? "events" : "token", key: principal.id };
    }
  }
}

/**
 * Counts one request of `key` against its class's limit, and refuses it (429, code 971, as
 * Cloudflare does) past the limit, before it has done anything. `Retry-After` is the class's
 * period: the binding counts in windows of that length, so by then the count has started over.
 */
export async function enforceRateLimit(env: Env, rateClass: RateClass, key: string): Promise<void> {
  const { binding, periodSeconds } = RATE_LIMITS[rateClass];
  const { success } = await env[binding].limit({ key: `${rateClass}:${key}` });
  if (!success) throw new ApiError("rateLimited", RATE_LIMITED, { retryAfterSeconds: periodSeconds });
}
