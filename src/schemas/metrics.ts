import { z } from "@hono/zod-openapi";
import { QUANTILE_RELATIVE_ERROR } from "../domain/metrics";
import { BUCKET_SIZES, type MetricsGrouping } from "../services/metrics";
import { LabelSelectorQuery } from "./labels";
import { Timestamp, UtcDateTime } from "./params";

const Window = {
  since: UtcDateTime.optional().openapi({
    param: { name: "since", in: "query" },
    description: "Start of the window (rounded down to a bucket).",
  }),
  until: UtcDateTime.optional().openapi({
    param: { name: "until", in: "query" },
    description: "End of the window, exclusive (rounded up to a bucket); now by default.",
  }),
};

export const MetricsQuery = z.object({
  ...Window,
  bucket: z
    .enum(Object.keys(BUCKET_SIZES) as [keyof typeof BUCKET_SIZES, ...(keyof typeof BUCKET_SIZES)[]])
    .default("1h")
    .openapi({
      param: { name: "bucket", in: "query" },
      description: "1m (kept 2 days; default window 1 hour), 1h (kept 400 days; 1 day), 1d (30 days).",
    }),
  group_by: z
    .string()
    .regex(/^(version|label:[a-z0-9][a-z0-9._/-]{0,62})$/, "version, or label:KEY of a metric label")
    .transform((text): MetricsGrouping => (text === "version" ? "version" : { label: text.slice("label:".length) }))
    .optional()
    .openapi({
      param: { name: "group_by", in: "query" },
      description:
        "version: one series per version; label:KEY: one per value of a label the workflow declares in metric_labels.",
    }),
  labels: LabelSelectorQuery.optional().openapi({
    param: { name: "labels", in: "query" },
    description: "One key=value or key in (…) of a metric label: the series of those instances only.",
  }),
});

const quantileNote = `±${(QUANTILE_RELATIVE_ERROR * 100).toFixed(1)}%`;

const Bucket = z.object({
  start: Timestamp,
  created: z.number().int(),
  started: z.number().int().openapi({ description: "Runs started: a restart starts one more." }),
  completed: z.number().int(),
  errored: z.number().int(),
  terminated: z.number().int(),
  error_rate: z
    .number()
    .nullable()
    .openapi({ description: "errored / runs ended in the bucket; null when none ended." }),
  duration_ms: z
    .object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() })
    .openapi({ description: `Of the runs that ended in the bucket, start to end, within ${quantileNote}.` }),
});

const Series = {
  total: Bucket.omit({ start: true }).openapi({
    description: "The whole window as one bucket: its quantiles from the merged histograms, not from the buckets'.",
  }),
  buckets: z.array(Bucket),
};

export const MetricsResult = z
  .union([
    z.object({ bucket: z.string(), ...Series }),
    z.object({
      bucket: z.string(),
      groups: z.array(
        z.object({
          key: z.union([z.object({ version_id: z.string() }), z.object({ labels: z.record(z.string(), z.string()) })]),
          ...Series,
        }),
      ),
    }),
  ])
  .openapi("Metrics");

export const StepMetricsQuery = MetricsQuery.pick({ since: true, until: true, bucket: true });

const StepCounts = {
  attempts: z.number().int(),
  failed_attempts: z.number().int(),
  instances_failed: z.number().int().openapi({ description: "Runs that ended errored by this step's failure." }),
};
const StepDurations = z
  .object({ p50: z.number().nullable(), p95: z.number().nullable() })
  .openapi({ description: `Attempt durations, within ${quantileNote}.` });

export const StepMetricsResult = z
  .object({
    bucket: z.string(),
    steps: z.array(
      z.object({
        step: z.string().openapi({ description: "The step's name, without the log's counter suffix." }),
        ...StepCounts,
        retry_rate: z.number().nullable().openapi({ description: "failed_attempts / attempts." }),
        duration_ms: StepDurations,
        buckets: z.array(z.object({ start: Timestamp, ...StepCounts, duration_ms: StepDurations })),
      }),
    ),
  })
  .openapi("StepMetrics");

export const ErrorsQuery = z.object({
  ...Window,
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(20)
    .openapi({ param: { name: "limit", in: "query" }, description: "Groups to answer, most frequent first." }),
});

export const ErrorGroups = z
  .array(
    z.object({
      name: z.string(),
      message: z.string().openapi({ description: "The message with ids as <id> and numbers as <n>." }),
      count: z.number().int(),
      first_seen: Timestamp,
      last_seen: Timestamp,
      versions: z.array(z.string()),
      example_instance_id: z.string(),
    }),
  )
  .openapi("ErrorGroups");

export const OverviewQuery = z.object(Window);

export const Overview = z
  .object({
    since: Timestamp,
    until: Timestamp,
    workflows: z.array(
      z.object({
        workflow: z.string(),
        created: z.number().int(),
        started: z.number().int(),
        completed: z.number().int(),
        errored: z.number().int(),
        terminated: z.number().int(),
        error_rate: z.number().nullable(),
        duration_p95_ms: z.number().nullable(),
      }),
    ),
  })
  .openapi("MetricsOverview");
