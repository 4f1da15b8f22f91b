import { z } from "@hono/zod-openapi";
import { ENGINE_EVENT_TYPES } from "../domain/engine-events";
import { TRIGGER_SOURCES } from "../domain/instance-status";
import { LOG_OUTPUT_LIMIT } from "../domain/journal";
import { ApiError } from "../lib/errors";
import { jsonByteLength, MAX_BODY_BYTES, MAX_PAYLOAD_BYTES } from "../lib/json";
import type { InstanceListQuery as InstanceListOptions } from "../services/instances";
import type { CountsQuery as CountsOptions } from "../services/instances/counts";
import { GroupByQuery, LabelSelectorQuery, Labels, LabelsInput } from "./labels";
import {
  cursorQuery,
  EventType,
  InstanceId,
  InstanceParams,
  InstanceParamsInput,
  NewInstanceId,
  Reason,
  RetentionInput,
  Status,
  Timestamp,
  UtcDateTime,
} from "./params";

export const ErrorDetail = z.object({ name: z.string(), message: z.string() }).openapi("InstanceError");

const LOCATION_HINTS = [
  "wnam",
  "enam",
  "sam",
  "weur",
  "eeur",
  "apac",
  "apac-ne",
  "apac-se",
  "oc",
  "afr",
  "me",
] as const;

export const CreateInstanceBody = z
  .object({
    instance_id: NewInstanceId.optional().openapi({ description: "Defaults to a random UUID." }),
    params: InstanceParamsInput.optional().openapi({
      description:
        "The payload run() gets as event.payload, at most 1 MiB: a JSON-encoded string, as Cloudflare's SDK sends, or any JSON value, as wrangler sends.",
    }),
    instance_retention: RetentionInput.optional(),
    location_hint: z.enum(LOCATION_HINTS).optional(),
    labels: LabelsInput.optional().openapi({
      description: "This control plane's extension: labels to find, count and act on the instance by.",
    }),
  })
  .openapi("CreateInstance");

export const InstanceCreated = z
  .object({
    id: z.string(),
    status: Status,
    version_id: z.string().uuid(),
    workflow_id: z.string().uuid(),
    trigger_source: z.enum(TRIGGER_SOURCES),
  })
  .openapi("InstanceCreated");

export const InstanceSummary = z
  .object({
    id: z.string(),
    status: Status,
    created_on: Timestamp,
    modified_on: Timestamp,
    started_on: Timestamp.nullable(),
    ended_on: Timestamp.nullable(),
    version_id: z.string().uuid(),
    workflow_id: z.string().uuid(),
    trigger_source: z.enum(TRIGGER_SOURCES),
    error_name: z.string().nullable().openapi({ description: "The name of the error an errored instance ended with." }),
    labels: Labels,
  })
  .openapi("InstanceSummary");

const Attempt = z.object({
  start: Timestamp,
  end: Timestamp.nullable(),
  success: z.boolean().nullable(),
  error: ErrorDetail.nullable(),
});

const LOG_OUTPUT = {
  output: z
    .string()
    .nullable()
    .openapi({
      description: `The output's JSON text, cut to ${LOG_OUTPUT_LIMIT} characters, or "[REDACTED]"; null while there is none. GET …/step has it whole.`,
    }),
  output_truncated: z
    .literal(true)
    .optional()
    .openapi({ description: `Set when the output was cut to ${LOG_OUTPUT_LIMIT} characters.` }),
};

/** A step.do, or (type "rollback") a rollback handler that ran for one. */
const DoFields = {
  name: z.string(),
  start: Timestamp,
  end: Timestamp.nullable(),
  success: z.boolean().nullable(),
  config: z
    .object({
      retries: z.object({
        limit: z.number(),
        delay: z.union([z.string(), z.number()]),
        backoff: z.enum(["constant", "linear", "exponential"]).optional(),
      }),
      timeout: z.union([z.string(), z.number()]),
      sensitive: z.literal("output").optional(),
    })
    .openapi({ description: "As the step declared it, with the engine's defaults for what it left out." }),
  ...LOG_OUTPUT,
  attempts: z.array(Attempt),
};

export const Step = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("step"), ...DoFields }),
    z.object({ type: z.literal("rollback"), ...DoFields }),
    z.object({
      type: z.literal("sleep"),
      name: z.string(),
      start: Timestamp,
      end: Timestamp.openapi({ description: "When it ended, else the planned wake time." }),
      finished: z.boolean(),
      error: ErrorDetail.nullable(),
    }),
    z.object({
      type: z.literal("waitForEvent"),
      name: z.string(),
      start: Timestamp,
      end: Timestamp.nullable().openapi({
        description: "When the wait ended; null while it waits (the engine's stream does not carry its timeout).",
      }),
      finished: z.boolean(),
      error: ErrorDetail.nullable(),
      event_type: z.string().optional(),
      output: z.string().optional().openapi({ description: "The event's JSON text, when the engine reports it." }),
      output_truncated: LOG_OUTPUT.output_truncated,
    }),
    z.object({ type: z.literal("termination"), trigger: z.object({ source: z.string() }) }),
  ])
  .openapi("Step", {
    description: "An entry of the instance's step log, in Cloudflare's shape; names carry the counter suffix.",
  });

export const InstanceQuery = z.object({
  order: z
    .enum(["asc", "desc"])
    .default("asc")
    .openapi({ param: { name: "order", in: "query" }, description: "Step order: oldest first by default." }),
  simple: z
    .enum(["true", "false"])
    .default("false")
    .openapi({ param: { name: "simple", in: "query" }, description: "true: no steps, only step_count." }),
});

export const StepQuery = z.object({
  name: z
    .string()
    .min(1)
    .max(300)
    .openapi({ param: { name: "name", in: "query" }, description: "The log name, with its counter suffix." }),
  type: z.enum(["step", "waitForEvent"]).openapi({ param: { name: "type", in: "query" } }),
  attempt: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .openapi({ param: { name: "attempt", in: "query" } }),
});

export const StepOutput = z
  .object({
    status: z.enum(["running", "waiting", "complete", "errored"]),
    error: ErrorDetail.nullable(),
    output: z.unknown(),
    event_type: z.string().optional(),
  })
  .openapi("StepOutput");

export const InstanceDetails = z
  .object({
    status: Status,
    params: z.unknown(),
    trigger: z.object({ source: z.enum(TRIGGER_SOURCES) }),
    versionId: z.string().uuid(),
    queued: Timestamp,
    start: Timestamp.nullable(),
    end: Timestamp.nullable(),
    success: z.boolean().nullable(),
    error: ErrorDetail.nullable(),
    output: z.string().nullable().openapi({
      description: "What run() returned, as JSON text (Cloudflare's API types it a string); null while there is none.",
    }),
    rollback: z
      .object({ outcome: z.enum(["complete", "failed"]), error: ErrorDetail.nullable() })
      .nullable()
      .openapi({ description: "How the rollback handlers ran, when they did." }),
    step_count: z.number().int(),
    steps: z.array(Step),
    labels: Labels.openapi({ description: "This control plane's extension: the instance's labels." }),
  })
  .openapi("InstanceDetails");

export const InstanceListQuery = cursorQuery({ cursorLength: 512, maxPerPage: 100, defaultPerPage: 50 }).extend({
  status: Status.optional().openapi({ param: { name: "status", in: "query" } }),
  date_start: UtcDateTime.optional().openapi({
    param: { name: "date_start", in: "query" },
    description: "Instances created at or after this time.",
  }),
  date_end: UtcDateTime.optional().openapi({
    param: { name: "date_end", in: "query" },
    description: "Instances created at or before this time.",
  }),
  direction: z
    .enum(["asc", "desc"])
    .optional()
    .openapi({
      param: { name: "direction", in: "query" },
      description: "Creation order; desc (newest first) by default.",
    }),
  version_id: z
    .string()
    .uuid()
    .optional()
    .openapi({ param: { name: "version_id", in: "query" }, description: "Only instances of this version." }),
  trigger_source: z
    .enum(TRIGGER_SOURCES)
    .optional()
    .openapi({ param: { name: "trigger_source", in: "query" }, description: "Only instances created this way." }),
  error_name: z
    .string()
    .min(1)
    .max(256)
    .optional()
    .openapi({
      param: { name: "error_name", in: "query" },
      description: "Only instances that errored with this error name.",
    }),
  id_prefix: InstanceId.optional().openapi({
    param: { name: "id_prefix", in: "query" },
    description: "Only instances whose id starts with this.",
  }),
  labels: LabelSelectorQuery.optional(),
  page: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .openapi({
      param: { name: "page", in: "query" },
      description: "Deprecated by Cloudflare in favour of cursor; not combinable with it.",
    }),
});

/** The list query as the service takes it. */
export function listOptionsOf(query: z.output<typeof InstanceListQuery>): InstanceListOptions {
  return {
    status: query.status,
    dateStart: query.date_start,
    dateEnd: query.date_end,
    versionId: query.version_id,
    triggerSource: query.trigger_source,
    errorName: query.error_name,
    idPrefix: query.id_prefix,
    labels: query.labels,
    direction: query.direction,
    page: query.page,
    cursor: query.cursor,
    perPage: query.per_page,
  };
}

/** `GET …/instances/counts`: the groupings, and any filter the list takes. */
export const CountsQuery = InstanceListQuery.pick({
  status: true,
  date_start: true,
  date_end: true,
  version_id: true,
  trigger_source: true,
  error_name: true,
  id_prefix: true,
  labels: true,
}).extend(GroupByQuery.shape);

export function countsOptionsOf(query: z.output<typeof CountsQuery>): CountsOptions {
  return {
    groupBy: query.group_by,
    status: query.status,
    dateStart: query.date_start,
    dateEnd: query.date_end,
    versionId: query.version_id,
    triggerSource: query.trigger_source,
    errorName: query.error_name,
    idPrefix: query.id_prefix,
    labels: query.labels,
  };
}

/** Where a restart begins: a step by name (its `count`-th run, of a `type`). */
export const RestartFrom = z
  .object({
    name: z.string().min(1).max(256),
    count: z.number().int().min(1).optional(),
    type: z.enum(["do", "sleep", "waitForEvent"]).optional(),
  })
  .openapi("RestartFrom", { description: "Restart from this step, keeping the results of the steps before it." });

export const StatusChangeBody = z
  .discriminatedUnion("status", [
    z.object({ status: z.literal("pause"), reason: Reason }),
    z.object({ status: z.literal("resume"), reason: Reason }),
    z.object({
      status: z.literal("terminate"),
      rollback: z.boolean().optional().openapi({ description: "Run rollback handlers first." }),
      reason: Reason,
    }),
    z.object({
      status: z.literal("restart"),
      reason: Reason,
      from: RestartFrom.optional(),
    }),
  ])
  .openapi("StatusChange");

export const CreateInstancesBody = z.array(CreateInstanceBody).min(1).max(100);

/**
 * The object form of a batch create, as the binding's `createBatch` takes it: listed
 * instances, or `count` instances with the same params. It answers with a per-item report.
 */
export const CreateBatchBody = z
  .union([
    // Strict to the items: a misspelt field must not create an instance without it.
    z.object({ instances: z.array(CreateInstanceBody.strict()).min(1).max(100) }).strict(),
    z
      .object({
        count: z.number().int().min(1).max(100),
        params: CreateInstanceBody.shape.params,
        instance_retention: CreateInstanceBody.shape.instance_retention,
        location_hint: CreateInstanceBody.shape.location_hint,
        labels: CreateInstanceBody.shape.labels,
      })
      .strict()
      .refine(
        ({ count, params }) => params === undefined || count * jsonByteLength(params) <= MAX_BODY_BYTES,
        `count × params may be at most ${MAX_BODY_BYTES / 1024 / 1024} MiB in all, as a request's body`,
      ),
  ])
  .openapi("CreateBatch");

/** The instances a batch body stands for, one per item. */
export function batchInputsOf(body: z.output<typeof CreateBatchBody>): z.output<typeof CreateInstanceBody>[] {
  if ("instances" in body) return body.instances;
  const { count, ...each } = body;
  return Array.from({ length: count }, () => each);
}

export const BatchCreateReport = z
  .object({
    created: z.array(InstanceCreated),
    errors: z.array(
      z.object({
        index: z.number().int().openapi({ description: "The item's position in the batch." }),
        id: z.string().optional(),
        code: z.number().int().openapi({ description: "10405: the id exists; 10415: it repeats in the batch." }),
        message: z.string(),
      }),
    ),
  })
  .openapi("BatchCreateReport");

export const StatusChangeResult = z.object({ status: Status, timestamp: Timestamp }).openapi("StatusChangeResult");

export const BatchDeleteBody = z.object({ instances: z.array(InstanceId).min(1).max(100) }).openapi("BatchDelete");

export const BatchDeleteResult = z
  .object({
    deleted: z.array(z.object({ id: z.string() })),
    errors: z.array(z.object({ id: z.string(), code: z.number().int(), message: z.string() })),
  })
  .openapi("BatchDeleteResult");

export const EventParams = InstanceParams.extend({
  event_type: EventType.openapi({ param: { name: "event_type", in: "path" }, example: "approval" }),
});

export const EventSent = z
  .object({ instanceId: z.string(), timestamp: Timestamp.openapi({ description: "When the event was sent." }) })
  .openapi("EventSent");

const EngineEventType = z.enum(ENGINE_EVENT_TYPES);

export const SubscribeQuery = z.object({
  cursor: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({
      param: { name: "cursor", in: "query" },
      description: "The last event id already received: the stream starts after it.",
    }),
  filter: z
    .union([EngineEventType, z.array(EngineEventType)])
    .optional()
    .transform((types) => (types === undefined || Array.isArray(types) ? types : [types]))
    .openapi({
      param: { name: "filter", in: "query" },
      description: "Only these event types (repeat the parameter for several); the stream still ends at the end.",
    }),
  token: z
    .string()
    .min(1)
    .max(2048)
    .optional()
    .openapi({
      param: { name: "token", in: "query" },
      description: "A subscribe token (GET …/subscribe/token), for clients that cannot send Authorization.",
    }),
});

export const SubscribeToken = z
  .object({
    token: z.string().openapi({ description: "Opens this instance's event stream only, as ?token=…" }),
    expires_on: Timestamp.openapi({ description: "Until when it opens the stream; an open stream stays open." }),
  })
  .openapi("SubscribeToken");

export const InstanceDeleted = z.object({ instanceId: z.string(), timestamp: Timestamp }).openapi("InstanceDeleted");

/** An event body as REST takes it: empty means no payload; otherwise JSON of at most 1 MiB. */
export function eventPayloadOf(body: string): unknown {
  if (body.trim() === "") return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    throw new ApiError("invalidRequest", "body: not valid JSON");
  }
  if (jsonByteLength(payload) > MAX_PAYLOAD_BYTES) {
    throw new ApiError("invalidRequest", "body: the event payload must be at most 1 MiB as JSON");
  }
  return payload;
}
