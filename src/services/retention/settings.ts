import { eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { accountSettings } from "../../db/schema";

const DAY_MS = 86_400_000;

/** The plan's retention of finished instances when nothing else sets one (Workers Paid, 2026). */
export const PLAN_RETENTION_MS = 7 * DAY_MS;

/** The longest retention Cloudflare allows a finished instance. */
export const MAX_INSTANCE_RETENTION_MS = 30 * DAY_MS;

/** How long ended bulk jobs and their ledgers are kept, unless the account sets otherwise. */
export const DEFAULT_BULK_JOB_RETENTION_MS = 30 * DAY_MS;

/** How long audit records are kept, unless the account sets otherwise. */
export const DEFAULT_AUDIT_RETENTION_MS = 90 * DAY_MS;

/** The account's settings as they apply: what it set, else the defaults. Milliseconds. */
export type AccountSettings = {
  default_retention: { success_retention: number; error_retention: number };
  bulk_job_retention: number;
  audit_retention: number;
};

/** A partial update: only the fields present change. */
export type SettingsPatch = {
  default_retention?: { success_retention?: number | undefined; error_retention?: number | undefined } | undefined;
  bulk_job_retention?: number | undefined;
  audit_retention?: number | undefined;
};

const ACCOUNT_ROW = 1;

export async function getSettings(db: Db): Promise<AccountSettings> {
  const [row] = await db.select().from(accountSettings).where(eq(accountSettings.id, ACCOUNT_ROW));
  return {
    default_retention: {
      success_retention: row?.successRetention ?? PLAN_RETENTION_MS,
      error_retention: row?.errorRetention ?? PLAN_RETENTION_MS,
    },
    bulk_job_retention: row?.bulkJobRetention ?? DEFAULT_BULK_JOB_RETENTION_MS,
    audit_retention: row?.auditRetention ?? DEFAULT_AUDIT_RETENTION_MS,
  };
}

/**
 * Changes the fields present, in one statement. A new default retention applies to instances
 * that finish from now on: an instance's expiry is fixed when it finishes, as its end is.
 */
export async function updateSettings(db: Db, patch: SettingsPatch): Promise<AccountSettings> {
  const changes = {
    ...(patch.default_retention?.success_retention === undefined
      ? {}
      : { successRetention: patch.default_retention.success_retention }),
    ...(patch.default_retention?.error_retention === undefined
      ? {}
      : { errorRetention: patch.default_retention.error_retention }),
    ...(patch.bulk_job_retention === undefined ? {} : { bulkJobRetention: patch.bulk_job_retention }),
    ...(patch.audit_retention === undefined ? {} : { auditRetention: patch.audit_retention }),
    modifiedOn: new Date(),
  };
  await db
    .insert(accountSettings)
    .values({ id: ACCOUNT_ROW, ...changes })
    .onConflictDoUpdate({ target: accountSettings.id, set: changes });
  return getSettings(db);
}
