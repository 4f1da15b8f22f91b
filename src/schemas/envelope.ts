import { z } from "@hono/zod-openapi";

/** The v4 envelope (src/lib/envelope.ts builds it) as the OpenAPI document describes it. */

const MessageSchema = z.object({ code: z.number().int(), message: z.string() });

const ResultInfoSchema = z
  .object({
    count: z.number().int(),
    per_page: z.number().int(),
    total_count: z.number().int().optional(),
    page: z.number().int().optional(),
    total_pages: z.number().int().optional(),
    cursor: z.string().optional().openapi({ description: "Present while more results remain in this direction." }),
  })
  .openapi("ResultInfo");

export function envelopeOf<T extends z.ZodType>(result: T) {
  return z.object({
    success: z.literal(true),
    errors: z.array(MessageSchema),
    messages: z.array(MessageSchema),
    result,
  });
}

export function listEnvelopeOf<T extends z.ZodType>(item: T) {
  return envelopeOf(z.array(item)).extend({ result_info: ResultInfoSchema });
}

export const FailureSchema = z
  .object({
    success: z.literal(false),
    errors: z.array(MessageSchema).min(1),
    messages: z.array(MessageSchema),
    result: z.null(),
  })
  .openapi("Failure");

/** `responses` entries for a route: the success body plus the failures it can answer with. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

const FAILURE_DESCRIPTIONS = {
  400: "Invalid request",
  401: "Missing or invalid API token",
  403: "The token may not act on this account",
  404: "Not found",
  409: "The instance is in a state that does not allow this change",
  413: "Request body too large",
  429: "Too many requests for this credential; wait as Retry-After says",
  500: "Internal error; the message carries the request id",
} as const;

export function failureResponses<S extends keyof typeof FAILURE_DESCRIPTIONS>(...statuses: S[]) {
  const all = [401, 403, 429, 500, ...statuses] as const;
  return Object.fromEntries(
    all.map((status) => [status, jsonResponse(FailureSchema, FAILURE_DESCRIPTIONS[status])]),
  ) as Record<S | 401 | 403 | 429 | 500, ReturnType<typeof jsonResponse<typeof FailureSchema>>>;
}
