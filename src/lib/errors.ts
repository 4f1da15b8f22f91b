import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The one registry of error codes. Codes Cloudflare is known to use keep their number
 * (10000, 10001, 10002, 10200, 10400, 10405, 10415; 7003 for unknown routes); the others are this
 * control plane's own, in the same ranges. See docs/api.md for the table.
 */
export const ERRORS = {
  unauthenticated: { code: 10000, status: 401 },
  forbidden: { code: 10000, status: 403 },
  internal: { code: 10001, status: 500 },
  invalidRequest: { code: 10002, status: 400 },
  payloadTooLarge: { code: 10002, status: 413 },
  unsupportedMediaType: { code: 10002, status: 415 },
  routeNotFound: { code: 7003, status: 404 },
  workflowNotFound: { code: 10200, status: 404 },
  workflowNotBound: { code: 10201, status: 400 },
  /** A PUT would move an existing workflow to another jurisdiction: it is fixed at creation. */
  jurisdictionFixed: { code: 10202, status: 400 },
  versionNotFound: { code: 10300, status: 404 },
  instanceNotFound: { code: 10400, status: 404 },
  stepNotFound: { code: 10402, status: 404 },
  instanceAlreadyExists: { code: 10405, status: 400 },
  /** Reported per item of a batch create, never as a whole response. */
  instanceDuplicateInBatch: { code: 10415, status: 400 },
  instanceStateConflict: { code: 10409, status: 409 },
  eventStreamRestarted: { code: 10410, status: 409 },
  tokenNotFound: { code: 10700, status: 404 },
  bulkJobNotFound: { code: 10600, status: 404 },
  bulkJobConflict: { code: 10609, status: 409 },
  idempotencyConflict: { code: 10610, status: 409 },
  /** The Workflows engine failed in a way this control plane does not recognise (its text is logged). */
  engineFailed: { code: 10901, status: 502 },
  /** Cloudflare's code past its per-credential request limit. */
  rateLimited: { code: 971, status: 429 },
} as const satisfies Record<string, { code: number; status: ContentfulStatusCode }>;

export type ErrorKind = keyof typeof ERRORS;

/**
 * An error meant for the caller: its message is public and names what is at fault.
 * Anything else thrown is an internal error, logged and answered with a generic message.
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly code: number;
  readonly status: ContentfulStatusCode;
  /** When the caller may try again, sent as `Retry-After`. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: ErrorOptions & { retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.code = ERRORS[kind].code;
    this.status = ERRORS[kind].status;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

export const workflowNotFound = (name: string) => new ApiError("workflowNotFound", `Workflow '${name}' not found`);

export const instanceNotFound = (workflowName: string, id: string) =>
  new ApiError("instanceNotFound", `Instance '${id}' of workflow '${workflowName}' not found`);

export const ENGINE_FAILURE = "Workflows engine failed to ";

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * An engine call that failed (src/services/engine-guard.ts throws it for every binding call):
 * the engine's error is its cause and its text follows the operation in the message, which is
 * all that crosses an RPC boundary (a journal's sync runs in its Durable Object).
 */
export class EngineFailure extends Error {
  override readonly name = "EngineFailure";

  constructor(
    readonly operation: string,
    cause: unknown,
  ) {
    super(`${ENGINE_FAILURE}${operation}: ${errorText(cause)}`, { cause });
  }

  /** Whether `error` is an engine failure, here or thrown across RPC. */
  static is(error: unknown): boolean {
    return error instanceof EngineFailure || errorText(error).startsWith(ENGINE_FAILURE);
  }
}

/**
 * The error meant for the caller that `error` is: one of ours, or an engine failure no service
 * told apart (a 502 whose cause, the engine's text, is logged); undefined for anything else.
 */
export function callerErrorOf(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (!EngineFailure.is(error)) return undefined;
  return new ApiError(
    "engineFailed",
    "The Workflows engine failed with an error this control plane does not recognise",
    {
      cause: error,
    },
  );
}
