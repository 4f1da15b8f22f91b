import { z } from "@hono/zod-openapi";
import { INSTANCE_STATUSES } from "../domain/instance-status";
import { jsonByteLength, MAX_PAYLOAD_BYTES } from "../lib/json";
import { DURATION_PATTERN } from "../lib/time";
import { INSTANCE_ROUTE_WORDS, isInstanceRouteWord } from "./paths";

const NAME_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9-_]*$/;
const NAME_RULE = "must start with a letter, digit or underscore and contain only letters, digits, '-' and '_'";

/** Workflow names: 1–64 characters. */
export const WorkflowName = z.string().min(1).max(64).regex(NAME_PATTERN, NAME_RULE);

/** Ids Cloudflare reserves for the instances it generates (cron triggers and the like). */
const GENERATED_INSTANCE_ID = /^cf_[0-9a-f]{64}$/;

/** Ids a caller may give a new instance: 1–100 characters. */
export const NewInstanceId = z
  .string()
  .min(1)
  .max(100)
  .regex(NAME_PATTERN, NAME_RULE)
  .refine((id) => !GENERATED_INSTANCE_ID.test(id), "is reserved: cf_ and 64 hex digits name generated instances")
  .refine(
    (id) => !isInstanceRouteWord(id),
    `is reserved: ${INSTANCE_ROUTE_WORDS.join(", ")} name routes below /instances`,
  );

/** Ids that address an existing instance: up to 271 characters, since cron-made ids are longer. */
export const InstanceId = z
  .string()
  .min(1)
  .max(271)
  .regex(/^[a-zA-Z0-9, */#_-]+$/, "must contain only letters, digits, spaces and , * / # - _");

/** Event types: 1–100 characters. */
export const EventType = z.string().min(1).max(100).regex(NAME_PATTERN, NAME_RULE);

/** Any JSON value of at most 1 MiB once serialized (event payloads). */
export const JsonPayload = z
  .unknown()
  .refine((value) => jsonByteLength(value) <= MAX_PAYLOAD_BYTES, "must be at most 1 MiB as JSON");

/**
 * Instance params. Cloudflare's current spec and SDK type them as a JSON-encoded string, while
 * wrangler and older clients send the value itself: a string that holds JSON is decoded, any
 * other value (a plain string included) is the payload as given.
 */
export const InstanceParamsInput = z
  .unknown()
  .transform((value) => (typeof value === "string" ? decodeJson(value) : value))
  .pipe(JsonPayload);

function decodeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export const AccountParams = z.object({
  account_id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "account_id", in: "path" }, example: "00000000000000000000000000000000" }),
});

export const WorkflowParams = AccountParams.extend({
  workflow_name: WorkflowName.openapi({ param: { name: "workflow_name", in: "path" }, example: "order-approval" }),
});

export const InstanceParams = WorkflowParams.extend({
  instance_id: InstanceId.openapi({ param: { name: "instance_id", in: "path" } }),
});

/** `page` and `per_page` as Cloudflare's page-style lists take them. */
export function pageQuery(defaultPerPage: number) {
  return z.object({
    page: z.coerce
      .number()
      .int()
      .min(1)
      .default(1)
      .openapi({ param: { name: "page", in: "query" } }),
    per_page: z.coerce
      .number()
      .int()
      .min(1)
      .max(100)
      .default(defaultPerPage)
      .openapi({ param: { name: "per_page", in: "query" } }),
  });
}

/** `cursor` and `per_page` as cursor-style lists take them; a cursor is opaque to the caller. */
export function cursorQuery({ cursorLength, maxPerPage, defaultPerPage }: CursorQueryLimits) {
  return z.object({
    cursor: z
      .string()
      .min(1)
      .max(cursorLength)
      .optional()
      .openapi({ param: { name: "cursor", in: "query" } }),
    per_page: z.coerce
      .number()
      .int()
      .min(1)
      .max(maxPerPage)
      .default(defaultPerPage)
      .openapi({ param: { name: "per_page", in: "query" } }),
  });
}

type CursorQueryLimits = { cursorLength: number; maxPerPage: number; defaultPerPage: number };

/** Milliseconds, or a duration such as "30 days". */
export const DurationInput = z.union([
  z.number().int().min(0),
  z.string().regex(DURATION_PATTERN, 'must be milliseconds or like "30 days"'),
]);

export const RetentionInput = z.object({
  error_retention: DurationInput.optional(),
  success_retention: DurationInput.optional(),
});

export const Status = z.enum(INSTANCE_STATUSES).openapi("InstanceStatus");

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?Z?)?$/;

/** ISO 8601 in UTC, as Cloudflare takes it: a trailing Z is optional, a date alone is midnight. */
export const UtcDateTime = z
  .string()
  .regex(ISO_DATE_TIME, "must be an ISO 8601 date-time in UTC, like 2026-11-25T10:00:00Z")
  // A day the month does not have (2026-02-30) would otherwise roll over into the next month.
  .refine((text) => isCalendarDay(text.slice(0, 10)), "is not a day of the calendar")
  .transform((text) => new Date(text.includes("T") && !text.endsWith("Z") ? `${text}Z` : text))
  .refine((date) => !Number.isNaN(date.getTime()), "is not a valid date");

function isCalendarDay(day: string): boolean {
  const midnight = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(midnight.getTime()) && midnight.toISOString().startsWith(day);
}

/** Why a change is made, for the audit trail. */
export const Reason = z
  .string()
  .min(1)
  .max(500)
  .optional()
  .openapi({ description: "Why: recorded in the audit trail." });

export const Timestamp = z.string().openapi({ format: "date-time", example: "2026-11-25T10:00:00.000Z" });
