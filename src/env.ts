import type { RequestIdVariables } from "hono/request-id";
import type { Deps } from "./services/deps";

/** Hono's typing of this Worker: bindings from `wrangler types`, per-request variables. */
export type AppEnv = {
  Bindings: Env;
  Variables: RequestIdVariables & { deps: Deps };
};
