import type { RequestIdVariables } from "hono/request-id";
import type { Principal } from "./access/principal";
import type { RequestTarget } from "./access/requests";
import type { AuditFacts } from "./services/audit/operations";
import type { Deps } from "./services/deps";

/** Hono's typing of this Worker: bindings from `wrangler types`, per-request variables. */
export type AppEnv = {
  Bindings: Env;
  Variables: RequestIdVariables & {
    deps: Deps;
    principal: Principal;
    target: RequestTarget;
    /** What the audit trail records of this call, noted by its handler. */
    audit?: AuditFacts;
    /** The error code the call was answered with, set where errors become responses. */
    errorCode?: number;
  };
};

declare global {
  interface Env {
    /** Workflow bindings beyond wrangler.toml's `[[workflows]]`, as JSON (see src/services/engines.ts). */
    EXTRA_WORKFLOWS?: string;
  }
}
