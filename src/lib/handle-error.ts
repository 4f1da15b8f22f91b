import type { ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../env";
import { failure, failureOf } from "./envelope";
import { ApiError, callerErrorOf, ERRORS, type ErrorKind } from "./errors";

/** Errors Hono's own middleware throws (malformed JSON, body limit, media type), by status. */
const HTTP_EXCEPTION_KINDS: Partial<Record<number, ErrorKind>> = {
  400: "invalidRequest",
  401: "unauthenticated",
  413: "payloadTooLarge",
  415: "unsupportedMediaType",
};

/**
 * The one place errors become responses: our typed errors and Hono's HTTP exceptions go into
 * the envelope as they are; one of ours that is a server-side failure (the engine's, 502) is
 * logged with its cause and answered with the request id; anything else is logged with the
 * request id and answered with a generic 500 that carries only that id.
 */
export const handleError: ErrorHandler<AppEnv> = (err, c) => {
  const known = apiErrorOf(err);
  const requestId = c.get("requestId");
  if (known && known.status < 500) {
    c.set("errorCode", known.code);
    if (known.retryAfterSeconds !== undefined) c.header("Retry-After", String(known.retryAfterSeconds));
    return c.json(failureOf(known), known.status);
  }
  console.error(
    JSON.stringify({
      level: "error",
      requestId,
      method: c.req.method,
      path: c.req.path,
      error: describe(err),
      ...(known?.cause === undefined ? {} : { cause: describe(known.cause) }),
    }),
  );
  if (known) {
    // An upstream failure we name (the engine's): its own code, and the id to find the log by.
    c.set("errorCode", known.code);
    const reported = `${known.message}; quote request id ${requestId} when reporting it`;
    return c.json(failure([{ code: known.code, message: reported }]), known.status);
  }
  c.set("errorCode", ERRORS.internal.code);
  return c.json(
    failure([
      { code: ERRORS.internal.code, message: `Internal error; quote request id ${requestId} when reporting it` },
    ]),
    ERRORS.internal.status,
  );
};

function describe(error: unknown) {
  return error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error);
}

/** The error meant for the caller that `err` is: ours, or one of Hono's HTTP exceptions. */
function apiErrorOf(err: Error): ApiError | undefined {
  const ours = callerErrorOf(err);
  if (ours) return ours;
  const kind = err instanceof HTTPException ? HTTP_EXCEPTION_KINDS[err.status] : undefined;
  if (!kind) return undefined;
  return new ApiError(kind, kind === "invalidRequest" ? `body: ${err.message}` : err.message);
}
