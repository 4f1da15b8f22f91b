import { and, desc, eq, gte, lt, lte, type SQL } from "drizzle-orm";
import type { Principal } from "../../access/principal";
import type { Db } from "../../db/client";
import { auditLog } from "../../db/schema";
import { decodeCursor, encodeCursor, sequenceOf } from "../../lib/cursor";
import { type ListResult, listResult } from "../../lib/envelope";
import type { Deps } from "../deps";
import type { AuditFacts } from "./operations";

/** One record of the trail: the call's facts, who made it, and how it was answered. */
export type AuditEntry = Omit<AuditFacts, "status"> & {
  actor: Principal;
  requestId: string;
  status: number;
  errorCode?: number | undefined;
};

/** An audit record as the API lists it. */
export type AuditRecord = {
  id: number;
  at: string;
  actor: { type: Principal["kind"]; id: string; name: string };
  action: string;
  workflow_name: string | null;
  instance_id: string | null;
  request_id: string;
  outcome: "success" | "failure";
  status: number;
  error_code: number | null;
  reason: string | null;
  detail: Record<string, unknown> | null;
};

export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    at: new Date(),
    actorType: entry.actor.kind,
    actorId: entry.actor.id,
    actorName: entry.actor.name,
    action: entry.action,
    workflowName: entry.workflowName ?? null,
    instanceId: entry.instanceId ?? null,
    requestId: entry.requestId,
    outcome: entry.status < 400 ? "success" : "failure",
    status: entry.status,
    errorCode: entry.errorCode ?? null,
    reason: entry.reason ?? null,
    detail: entry.detail ?? null,
  });
}

export type AuditQuery = {
  workflow?: string | undefined;
  actorId?: string | undefined;
  action?: string | undefined;
  outcome?: "success" | "failure" | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  cursor?: string | undefined;
  perPage: number;
};

/** The audit trail, newest first, filtered; `result_info.cursor` while older records remain. */
export async function listAudit({ db }: Deps, query: AuditQuery): Promise<ListResult<AuditRecord>> {
  const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor, sequenceOf);
  const filters: (SQL | undefined)[] = [
    query.workflow ? eq(auditLog.workflowName, query.workflow) : undefined,
    query.actorId ? eq(auditLog.actorId, query.actorId) : undefined,
    query.action ? eq(auditLog.action, query.action) : undefined,
    query.outcome ? eq(auditLog.outcome, query.outcome) : undefined,
    query.since ? gte(auditLog.at, query.since) : undefined,
    query.until ? lte(auditLog.at, query.until) : undefined,
    before !== undefined ? lt(auditLog.id, before) : undefined,
  ];
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(...filters))
    .orderBy(desc(auditLog.id))
    .limit(query.perPage + 1);
  const items = rows.slice(0, query.perPage);
  const last = items.at(-1);
  const records = items.map((row) => ({
    id: row.id,
    at: row.at.toISOString(),
    actor: { type: row.actorType, id: row.actorId, name: row.actorName },
    action: row.action,
    workflow_name: row.workflowName,
    instance_id: row.instanceId,
    request_id: row.requestId,
    outcome: row.outcome,
    status: row.status,
    error_code: row.errorCode,
    reason: row.reason,
    detail: row.detail ?? null,
  }));
  return listResult(records, {
    count: items.length,
    per_page: query.perPage,
    ...(rows.length > query.perPage && last ? { cursor: encodeCursor(last.id) } : {}),
  });
}
