import type { Hook } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { failure } from "./envelope";
import { ERRORS } from "./errors";

const TARGET_NAMES: Record<string, string> = { json: "body", query: "query", param: "path" };

/**
 * The validation hook every route shares: a 400 in the envelope with one error per issue,
 * each naming the field at fault ("body.instance_id: …").
 */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result, c) => {
  if (result.success) return;
  const prefix = TARGET_NAMES[result.target] ?? result.target;
  const errors = result.error.issues.map((issue) => ({
    code: ERRORS.invalidRequest.code,
    message: `${[prefix, ...issue.path.map(String)].join(".")}: ${issue.message}`,
  }));
  return c.json(failure(errors), ERRORS.invalidRequest.status);
};
