import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { ensureDeployedWorkflows } from "../services/deployment";
import { createDeps } from "../services/deps";

/** Gives handlers their services' dependencies, once this deployment's workflows are defined. */
export function provideDeps(): MiddlewareHandler<AppEnv> {
  return async function provideDeps(c, next) {
    const deps = createDeps(c.env, c.executionCtx);
    await ensureDeployedWorkflows(deps, c.env.DB);
    c.set("deps", deps);
    await next();
  };
}
