import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import type { AuditFacts, FactsOf } from "../services/audit/operations";
import { recordAudit } from "../services/audit/trail";

/**
 * Records every mutating call once it has been answered (after the response, off its critical
 * path): who, the facts its handler noted through `audited` (or, for a call refused before its
 * handler ran, the route and the workflow and instance its path names), the request id, the
 * status and the error code the error handler answered with. Refused credentials never get this
 * far, so they leave nothing behind.
 */
export function auditTrail(): MiddlewareHandler<AppEnv> {
  return async function auditTrail(c, next) {
    await next();
    if (c.req.method === "GET" || c.req.method === "HEAD") return;
    const { status: _success, ...facts } = c.get("audit") ?? routeFacts(c);
    c.var.deps.defer(
      recordAudit(c.var.deps.db, {
        ...facts,
        actor: c.get("principal"),
        requestId: c.get("requestId"),
        status: c.res.status,
        errorCode: c.get("errorCode"),
      }),
    );
  };
}

/** Runs a handler's operation, noting its facts for the audit trail before and after. */
export async function audited<R>(c: Context<AppEnv>, facts: FactsOf<R>, operation: () => Promise<R>): Promise<R> {
  c.set("audit", facts());
  const result = await operation();
  c.set("audit", facts(result));
  return result;
}

function routeFacts(c: Context<AppEnv>): AuditFacts {
  const target = c.get("target");
  const route = c.req.matchedRoutes.at(-1)?.path ?? c.req.path;
  return {
    action: `${c.req.method} ${route.replace(/^\/client\/v4\/accounts\/:account_id/, "")}`,
    workflowName: target?.workflow,
    instanceId: target?.instanceId,
  };
}
