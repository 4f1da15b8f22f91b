import { z } from "@hono/zod-openapi";
import { durationToMs } from "../lib/time";
import { MAX_INSTANCE_RETENTION_MS } from "../services/retention/settings";
import { DurationInput } from "./params";

const YEAR_MS = 365 * 86_400_000;

/** A duration in milliseconds, given as milliseconds or as Cloudflare writes one ("7 days"). */
function durationUpTo(maxMs: number, limit: string) {
  return DurationInput.transform(durationToMs).refine(
    (ms) => ms >= 1_000 && ms <= maxMs,
    `must be from 1 second to ${limit}`,
  );
}

const InstanceRetention = durationUpTo(MAX_INSTANCE_RETENTION_MS, "30 days");
const OwnRetention = durationUpTo(YEAR_MS, "365 days");

export const SettingsPatchBody = z
  .object({
    default_retention: z
      .object({ success_retention: InstanceRetention.optional(), error_retention: InstanceRetention.optional() })
      .strict()
      .optional()
      .openapi({
        description: "How long finished instances are kept when neither they nor their workflow set it.",
      }),
    bulk_job_retention: OwnRetention.optional().openapi({
      description: "How long ended bulk jobs and their ledgers are kept (an extension).",
    }),
    audit_retention: OwnRetention.optional().openapi({
      description: "How long audit records are kept (an extension).",
    }),
  })
  .strict()
  .openapi("AccountSettingsPatch");

export const AccountSettings = z
  .object({
    default_retention: z.object({
      success_retention: z.number().int().openapi({ description: "Milliseconds: complete and terminated." }),
      error_retention: z.number().int().openapi({ description: "Milliseconds: errored." }),
    }),
    bulk_job_retention: z.number().int().openapi({ description: "Milliseconds (an extension)." }),
    audit_retention: z.number().int().openapi({ description: "Milliseconds (an extension)." }),
  })
  .openapi("AccountSettings");
