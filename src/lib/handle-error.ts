import type { ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../env";
import { failure, failureOf } from "./envelope";
import { ApiError, type ErrorKind } from "./errors";

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
  if (err instanceof ApiError) {
    return c.json(failureOf(err), err.status);
  }
  if (err instanceof HTTPException) {
    const kind = HTTP_EXCEPTION_KINDS[err.status];
    if (kind) {
      const message = kind === "invalidRequest" ? `body: ${err.message}` : err.message;
      return c.json(failureOf(new ApiError(kind, message)), err.status);
    }
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
  return c.json(
    failure([{ code: 10001, message: `Internal error; quote request id ${requestId} when reporting it` }]),
    500,
  );
};
