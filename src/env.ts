import type { RequestIdVariables } from "hono/request-id";
import type { Principal } from "./access/principal";
import type { RequestTarget } from "./access/requests";
import type { Deps } from "./services/deps";

/** Hono's typing of this Worker: bindings from `wrangler types`, per-request variables. */
export type AppEnv = {
  Bindings: Env;
  Variables: RequestIdVariables & {
    deps: Deps;
    principal: Principal;
    target: RequestTarget;
    /** Noted by handlers for the audit trail. */
    auditReason?: string;
    auditDetail?: Record<string, unknown>;
  };
};
