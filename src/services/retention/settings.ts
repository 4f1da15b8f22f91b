import { eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { accountSettings, type Retention, workflowVersions } from "../../db/schema";
import { PLAN_RETENTION_MS } from "../../domain/retention";

export { PLAN_RETENTION_MS };

const DAY_MS = 86_400_000;

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
  return toSettings(row);
}

function toSettings(row: typeof accountSettings.$inferSelect | undefined): AccountSettings {
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

/** A finished instance's retention, per outcome: both fields always set, in milliseconds. */
export type EffectiveRetention = { success_retention: number; error_retention: number };

/**
 * The retention an instance is created with, field by field: its own, else its version's
 * default, else the account's (which is the plan's unless set). The engine is given exactly
 * this, and the index keeps it, so both forget the instance at the same moment however the
 * settings change meanwhile.
 */
export function effectiveRetention(
  own: Retention | null,
  version: Retention | null,
  account: AccountSettings["default_retention"],
): EffectiveRetention {
  return {
    success_retention: own?.success_retention ?? version?.success_retention ?? account.success_retention,
    error_retention: own?.error_retention ?? version?.error_retention ?? account.error_retention,
  };
}

/**
 * `effectiveRetention` as SQL, for an `INSERT … SELECT` from a workflow joined with its
 * version, so a single create reserves its id and fixes its retention in one statement.
 */
export function effectiveRetentionSql(own: Retention | null): SQL {
  const field = (key: keyof EffectiveRetention, accountColumn: SQL) =>
    sql`coalesce(${own?.[key] ?? null}, json_extract(${workflowVersions.defaultRetention}, ${`$.${key}`}), (SELECT ${accountColumn} FROM ${accountSettings} WHERE ${accountSettings.id} = ${ACCOUNT_ROW}), ${PLAN_RETENTION_MS})`;
  return sql`json_object('success_retention', ${field("success_retention", sql`${accountSettings.successRetention}`)}, 'error_retention', ${field("error_retention", sql`${accountSettings.errorRetention}`)})`;
}
