import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { ApiError } from "../lib/errors";

/** One deployment serves one account (`ACCOUNT_ID`); paths naming another are refused. */
export function requireServedAccount(): MiddlewareHandler<AppEnv> {
  return async function requireServedAccount(c, next) {
    const accountId = c.req.param("account_id");
    if (accountId !== c.env.ACCOUNT_ID) {
      throw new ApiError(
        "forbidden",
        `Account '${accountId}' is not served by this control plane; it serves account '${c.env.ACCOUNT_ID}'`,
      );
    }
    await next();
  };
}
