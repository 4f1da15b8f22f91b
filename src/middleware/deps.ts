import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { readyDeps } from "../services/deployment";

/** Gives handlers their services' dependencies, once this deployment's workflows are defined. */
export function provideDeps(): MiddlewareHandler<AppEnv> {
  return async function provideDeps(c, next) {
    c.set("deps", await readyDeps(c.env, c.executionCtx));
    await next();
  };
}
