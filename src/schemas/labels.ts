import { z } from "@hono/zod-openapi";
import { INSTANCE_STATUSES } from "../domain/instance-status";
import {
  LABEL_KEY_PATTERN,
  LABEL_PATH_PATTERN,
  MAX_LABEL_VALUE_LENGTH,
  MAX_LABELS,
  parseSelector,
  SelectorError,
} from "../domain/labels";
import type { GroupDimension } from "../services/instances/counts";

const LabelKey = z
  .string()
  .regex(LABEL_KEY_PATTERN, `a label key matches ${LABEL_KEY_PATTERN.source}`)
  .openapi({ example: "tenant" });

const LabelValue = z.string().max(MAX_LABEL_VALUE_LENGTH).openapi({ example: "acme" });

/** Labels as a caller gives them: at most 16 string pairs. */
export const LabelsInput = z
  .record(LabelKey, LabelValue)
  .refine((labels) => Object.keys(labels).length <= MAX_LABELS, `at most ${MAX_LABELS} labels`)
  .openapi("Labels", {
    description: `At most ${MAX_LABELS} labels; keys ${LABEL_KEY_PATTERN.source}, values strings of at most ${MAX_LABEL_VALUE_LENGTH} characters.`,
    example: { tenant: "acme", region: "eu" },
  });

export const Labels = z.record(z.string(), z.string()).openapi("InstanceLabels");

export const LabelsPatchBody = z
  .object({
    set: LabelsInput.optional().openapi({ description: "Labels to add or change." }),
    remove: z.array(LabelKey).max(MAX_LABELS).optional().openapi({ description: "Label keys to remove." }),
  })
  .strict()
  .refine(({ set, remove }) => set !== undefined || remove !== undefined, "give set, remove or both")
  .refine(
    ({ set, remove }) => !remove?.some((key) => set !== undefined && Object.hasOwn(set, key)),
    "a key cannot be both set and removed",
  )
  .openapi("LabelsPatch");

export const LabelsPatched = z
  .object({ id: z.string(), labels: Labels })
  .openapi("LabelsPatched", { description: "The instance's labels after the change." });

/** A workflow's label paths: label key to a path into each new instance's params. */
export const LabelPathsInput = z
  .record(
    LabelKey,
    z
      .string()
      .max(256)
      .regex(LABEL_PATH_PATTERN, "a label path is $ then .name or [index] parts, e.g. $.__dispatcherMetadata.tenantId"),
  )
  .refine((paths) => Object.keys(paths).length <= MAX_LABELS, `at most ${MAX_LABELS} label paths`)
  .nullable()
  .openapi("LabelPaths", {
    description:
      "Labels each new instance takes from its params, by JSONPath ($.name or [index] parts); null or {} removes them. Kept when a PUT leaves the field out.",
    example: { tenant: "$.__dispatcherMetadata.tenantId", order: "$.orderId" },
  });

/** The label keys a workflow's metrics keep a series per value of: each costs every event a write more. */
export const MetricLabelsInput = z
  .array(LabelKey)
  .max(3, "at most 3 metric labels")
  .nullable()
  .openapi("MetricLabels", {
    description:
      "Label keys (at most 3) whose values the metrics keep a series for, to group and filter metrics by; null or [] removes them. Kept when a PUT leaves the field out.",
    example: ["tenant"],
  });

/** A Kubernetes-style label selector in a query string, parsed; a malformed one is a 400 with its position. */
export const LabelSelectorQuery = z
  .string()
  .max(2048)
  .transform((text, context) => {
    try {
      return parseSelector(text);
    } catch (error) {
      if (!(error instanceof SelectorError)) throw error;
      context.addIssue({ code: "custom", message: `invalid label selector: ${error.message}` });
      return z.NEVER;
    }
  })
  .openapi({
    param: { name: "labels", in: "query" },
    description:
      'A label selector: key=value, key!=value, key in (a,b), key notin (a,b), key, !key; commas mean AND. A value with other characters than letters, digits and _.-/:@ is written as a JSON string ("acme, inc").',
    example: "tenant=acme,region in (eu,us)",
  });

const GROUP_DIMENSION = /^(status|version|label:[a-z0-9][a-z0-9._/-]{0,62})$/;

export const GroupByQuery = z.object({
  group_by: z
    .string()
    .max(256)
    .transform((text, context) => {
      const dimensions: GroupDimension[] = [];
      for (const part of text.split(",").map((item) => item.trim())) {
        if (!GROUP_DIMENSION.test(part)) {
          context.addIssue({ code: "custom", message: `unknown grouping "${part}": status, version or label:KEY` });
          return z.NEVER;
        }
        const dimension: GroupDimension = part.startsWith("label:")
          ? { kind: "label", key: part.slice("label:".length) }
          : { kind: part === "status" ? "status" : "version" };
        if (dimensions.some((seen) => JSON.stringify(seen) === JSON.stringify(dimension))) {
          context.addIssue({ code: "custom", message: `"${part}" is given twice` });
          return z.NEVER;
        }
        dimensions.push(dimension);
      }
      return dimensions;
    })
    .openapi({
      param: { name: "group_by", in: "query" },
      description: "What to group by: status, version, label:KEY, comma-separated.",
      example: "label:tenant",
    }),
});

const StatusCounts = z.object(
  Object.fromEntries(INSTANCE_STATUSES.map((status) => [status, z.number().int()])) as Record<
    (typeof INSTANCE_STATUSES)[number],
    z.ZodNumber
  >,
);

export const InstanceCountGroups = z
  .object({
    groups: z.array(
      z.object({
        key: z
          .object({
            status: z.enum(INSTANCE_STATUSES).optional(),
            version_id: z.string().optional(),
            labels: z.record(z.string(), z.string().nullable()).optional(),
          })
          .openapi({
            description: "The group's value of each group_by dimension; a label the instances lack is null.",
          }),
        instances: StatusCounts.openapi({ description: "The group's instances per status, exact." }),
      }),
    ),
    source: z
      .enum(["counts", "scan"])
      .openapi({ description: "counts: read from maintained counts; scan: counted over the matching instances." }),
  })
  .openapi("InstanceCountGroups");
