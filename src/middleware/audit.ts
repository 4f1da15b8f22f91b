import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { recordAudit } from "../services/audit";

/**
 * Records every mutating call once it has been answered (after the response, off its critical
 * path): who, which route, on which workflow and instance, the request id, the outcome, and the
 * reason and details the handler noted. Refused credentials never get this far, so they leave
 * nothing behind.
 */
export function auditTrail(): MiddlewareHandler<AppEnv> {
  return async function auditTrail(c, next) {
    await next();
    if (c.req.method === "GET" || c.req.method === "HEAD") return;
    const target = c.get("target");
    const route = c.req.matchedRoutes.at(-1)?.path ?? c.req.path;
    const errorCode =
      c.res.status >= 400
        ? (
            (await c.res
              .clone()
              .json<{ errors?: { code: number }[] }>()
              .catch(() => ({}))) as { errors?: { code: number }[] }
          ).errors?.[0]?.code
        : undefined;
    c.var.deps.defer(
      recordAudit(c.var.deps.db, {
        actor: c.get("principal"),
        action: `${c.req.method} ${route.replace(/^\/client\/v4\/accounts\/:account_id/, "")}`,
        workflowName: target?.workflow,
        instanceId: target?.instanceId,
        requestId: c.get("requestId"),
        status: c.res.status,
        errorCode,
        reason: c.get("auditReason"),
        detail: c.get("auditDetail"),
      }),
    );
  };
}
