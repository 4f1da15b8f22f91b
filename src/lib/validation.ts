import type { Hook, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { failure } from "./envelope";
import { ApiError, ERRORS } from "./errors";

const TARGET_NAMES: Record<string, string> = { json: "body", query: "query", param: "path", header: "header" };

/** One message per problem, naming the field at fault: "body.instance_id: …". */
function messagesOf(issues: z.core.$ZodIssue[], target: string): string[] {
  return specificIssues(issues, []).map(
    (issue) => `${[target, ...issue.path.map(String)].join(".")}: ${issue.message}`,
  );
}

/**
 * The issues to report, with full paths. Where no branch of a union fits, zod reports one
 * "Invalid input" at the union; the branch meant is one whose shape the input has (it fails
 * on fields, not on its own type), and of those the one it misses least, so its issues are
 * reported instead.
 */
function specificIssues(issues: z.core.$ZodIssue[], prefix: PropertyKey[]): z.core.$ZodIssue[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code !== "invalid_union" || issue.errors.length === 0) return [{ ...issue, path }];
    const atShape = (branch: z.core.$ZodIssue[]) =>
      branch.some((inner) => inner.path.length === 0 && inner.code === "invalid_type");
    const shaped = issue.errors.filter((branch) => !atShape(branch));
    const candidates = shaped.length > 0 ? shaped : issue.errors;
    const meant = candidates.reduce((best, branch) => (branch.length < best.length ? branch : best));
    return specificIssues(meant, path);
  });
}

/**
 * The validation hook every route shares: a 400 in the envelope with one error per issue,
 * each naming the field at fault.
 */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result, c) => {
  if (result.success) return;
  const errors = messagesOf(result.error.issues, TARGET_NAMES[result.target] ?? result.target).map((message) => ({
    code: ERRORS.invalidRequest.code,
    message,
  }));
  c.set("errorCode", ERRORS.invalidRequest.code);
  return c.json(failure(errors), ERRORS.invalidRequest.status);
};

/**
 * Validates input outside a route (RPC) with the route's own schema, failing as the route
 * would: code 10002, the same messages (joined), nothing changed.
 */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, target: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ApiError("invalidRequest", messagesOf(result.error.issues, target).join("; "));
}
