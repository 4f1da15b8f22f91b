import type { ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../env";
import { failure, failureOf } from "./envelope";
import { ApiError, ERRORS, type ErrorKind } from "./errors";

/** Errors Hono's own middleware throws (malformed JSON, body limit, media type), by status. */
const HTTP_EXCEPTION_KINDS: Partial<Record<number, ErrorKind>> = {
  400: "invalidRequest",
  401: "unauthenticated",
  413: "payloadTooLarge",
  415: "unsupportedMediaType",
};

/**
 * The one place errors become responses: our typed errors and Hono's HTTP exceptions go into
 * the envelope as they are; anything else is logged with the request id and answered with a
 * generic 500 that carries only that id.
 */
export const handleError: ErrorHandler<AppEnv> = (err, c) => {
  const known = apiErrorOf(err);
  if (known) {
    c.set("errorCode", known.code);
    if (known.retryAfterSeconds !== undefined) c.header("Retry-After", String(known.retryAfterSeconds));
    return c.json(failureOf(known), known.status);
  }
  const requestId = c.get("requestId");
  console.error(
    JSON.stringify({
      level: "error",
      requestId,
      method: c.req.method,
      path: c.req.path,
      error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err),
    }),
  );
  c.set("errorCode", ERRORS.internal.code);
  return c.json(
    failure([
      { code: ERRORS.internal.code, message: `Internal error; quote request id ${requestId} when reporting it` },
    ]),
    ERRORS.internal.status,
  );
};

/** The error meant for the caller that `err` is: ours, or one of Hono's HTTP exceptions. */
function apiErrorOf(err: Error): ApiError | undefined {
  if (err instanceof ApiError) return err;
  const kind = err instanceof HTTPException ? HTTP_EXCEPTION_KINDS[err.status] : undefined;
  if (!kind) return undefined;
  return new ApiError(kind, kind === "invalidRequest" ? `body: ${err.message}` : err.message);
}
