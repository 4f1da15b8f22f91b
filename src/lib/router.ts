import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { validationHook } from "./validation";

/**
 * A router whose request validation answers in the envelope. `strict: false` accepts the
 * trailing slash wrangler sends on some paths.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ strict: false, defaultHook: validationHook });
}
