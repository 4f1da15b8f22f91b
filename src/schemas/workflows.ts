import { z } from "@hono/zod-openapi";
import { INSTANCE_STATUSES } from "../domain/instance-status";
import { JURISDICTIONS } from "../domain/jurisdiction";
import { retentionInMs } from "../lib/time";
import { LabelPathsInput, MetricLabelsInput } from "./labels";
import { pageQuery, RetentionInput, Timestamp, WorkflowName } from "./params";

const InstanceCounts = z
  .object(
    Object.fromEntries(INSTANCE_STATUSES.map((status) => [status, z.number().int()])) as Record<
      (typeof INSTANCE_STATUSES)[number],
      z.ZodNumber
    >,
  )
  .openapi("InstanceCounts", { description: "Number of instances in each status, exact." });

const WorkflowFields = {
  id: z.string().uuid(),
  name: WorkflowName,
  class_name: z.string(),
  script_name: z.string(),
  created_on: Timestamp,
  modified_on: Timestamp,
  triggered_on: Timestamp.nullable().openapi({ description: "When the newest instance was created." }),
  version_id: z.string().uuid().openapi({ description: "The current version, which new instances run." }),
  terminator_running: z
    .union([z.literal(0), z.literal(1)])
    .openapi({ description: "1 while a terminate-all job runs." }),
  label_paths: z
    .record(z.string(), z.string())
    .nullable()
    .openapi({ description: "Labels each new instance takes from its params (an extension)." }),
  metric_labels: z
    .array(z.string())
    .nullable()
    .openapi({ description: "Label keys the metrics keep a series per value of (an extension)." }),
  jurisdiction: z.enum(JURISDICTIONS).nullable().openapi({
    description: "Where the workflow's instances and index are kept; null for anywhere. Fixed at creation.",
  }),
};

export const Workflow = z.object({ ...WorkflowFields, instances: InstanceCounts }).openapi("Workflow");

/** `GET /workflows/:name`: the workflow, and how full the instance index is (an extension). */
export const WorkflowDetail = Workflow.extend({
  capacity: z
    .object({
      segments: z.number().int().openapi({ description: "Live segments of the workflow's index (Durable Objects)." }),
      instances: z.number().int().openapi({ description: "Instances the segments hold, past retention or not." }),
      bytes: z.number().int().openapi({ description: "The segments' storage, summed." }),
      segment_size: z.number().int().openapi({ description: "Instances a segment takes before the next starts." }),
    })
    .openapi({ description: "What the workflow's instance index holds (docs/capacity.md)." }),
}).openapi("WorkflowDetail");

export const WorkflowUpdate = z.object({ ...WorkflowFields, is_deleted: z.literal(0) }).openapi("WorkflowUpdate");

export const WorkflowDefinitionBody = z
  .object({
    class_name: z.string().min(1).max(255),
    script_name: z.string().min(1).max(255),
    limits: z.object({ steps: z.number().int().min(1).max(25_000).optional() }).optional(),
    default_retention: RetentionInput.transform(retentionInMs).optional(),
    label_paths: LabelPathsInput.optional(),
    metric_labels: MetricLabelsInput.optional(),
    jurisdiction: z
      .enum(JURISDICTIONS)
      .optional()
      .openapi({ description: "Taken when the workflow is created; a different one later is refused (400, 10202)." }),
    schedules: z
      .array(z.object({ cron: z.string().min(1).max(256) }))
      .max(
        0,
        "cron schedules run on Cloudflare's side: declare `schedules` on the [[workflows]] binding of the Worker that defines the workflow",
      )
      .optional()
      .openapi({ description: "Not supported here: declare `schedules` on the Workflow's binding instead." }),
  })
  .openapi("WorkflowDefinition");

export const WorkflowQuery = pageQuery(10).extend({
  search: WorkflowName.optional().openapi({
    param: { name: "search", in: "query" },
    description: "Only workflows whose name contains this text.",
  }),
});

export const WorkflowDeleted = z.object({ status: z.literal("ok"), success: z.boolean().nullable() });
