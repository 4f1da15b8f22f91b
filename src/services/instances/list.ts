import { and, asc, desc, eq, gte, lte, type SQL, sql } from "drizzle-orm";
import { instanceStatusCounts, instances } from "../../db/schema";
import type { InstanceStatus, TriggerSource } from "../../domain/instance-status";
import type { ResultInfo } from "../../lib/envelope";
import { ApiError } from "../../lib/errors";
import { toIso } from "../../lib/time";
import type { Deps } from "../deps";
import { findWorkflow } from "../workflows";

/** An instance as Cloudflare's `GET …/instances` lists it. */
export type InstanceSummary = {
  id: string;
  status: InstanceStatus;
  created_on: string;
  modified_on: string;
  started_on: string | null;
  ended_on: string | null;
  version_id: string;
  workflow_id: string;
  trigger_source: TriggerSource;
};

export type Direction = "asc" | "desc";

export type InstanceListQuery = {
  status?: InstanceStatus | undefined;
  dateStart?: Date | undefined;
  dateEnd?: Date | undefined;
  /** Order by creation time; newest first unless "asc". With a cursor, the way to walk from it. */
  direction?: Direction | undefined;
  perPage: number;
  page?: number | undefined;
  cursor?: string | undefined;
};

/** Counting a date range means walking it, so `total_count` stops there (the field is deprecated). */
export const TOTAL_COUNT_CAP = 10_000;

/**
 * Lists instances from the index: newest first by default, filtered by status and creation
 * date, paged by `page` or by an opaque `cursor`. Every path is served by an index, and
 * `result_info.cursor` is present while more instances remain in the walking direction.
 */
export async function listInstances(
  { db }: Deps,
  workflowName: string,
  query: InstanceListQuery,
): Promise<{ items: InstanceSummary[]; resultInfo: ResultInfo }> {
  if (query.page !== undefined && query.cursor !== undefined) {
    throw new ApiError("invalidRequest", "query: page and cursor cannot be used together");
  }
  const workflow = await findWorkflow(db, workflowName);
  const position = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const direction = query.direction ?? position?.direction ?? "desc";
  const order = direction === "asc" ? asc : desc;

  const filters = and(
    eq(instances.workflowId, workflow.id),
    query.status ? eq(instances.status, query.status) : undefined,
    query.dateStart ? gte(instances.createdOn, query.dateStart) : undefined,
    query.dateEnd ? lte(instances.createdOn, query.dateEnd) : undefined,
  );
  const after = position ? beyond(position, direction) : undefined;
  const page = query.page ?? 1;

  const [rows, total] = await Promise.all([
    db
      .select()
      .from(instances)
      .where(and(filters, after))
      .orderBy(order(instances.createdOn), order(instances.id))
      .limit(query.perPage + 1)
      .offset(position ? 0 : (page - 1) * query.perPage),
    countMatching({ db, workflowId: workflow.id, filters, query }),
  ]);

  const items = rows.slice(0, query.perPage);
  const last = items.at(-1);
  const more = rows.length > query.perPage;
  return {
    items: items.map(toSummary),
    resultInfo: {
      count: items.length,
      per_page: query.perPage,
      total_count: total,
      ...(position ? {} : { page, total_pages: Math.ceil(total / query.perPage) }),
      ...(more && last
        ? { cursor: encodeCursor({ createdOn: last.createdOn.getTime(), id: last.id, direction }) }
        : {}),
    },
  };
}

/** Exact from the maintained counts unless a date range applies; then counted up to the cap. */
async function countMatching({
  db,
  workflowId,
  filters,
  query,
}: {
  db: Deps["db"];
  workflowId: string;
  filters: SQL | undefined;
  query: InstanceListQuery;
}): Promise<number> {
  if (query.dateStart === undefined && query.dateEnd === undefined) {
    const [row] = await db
      .select({ total: sql<number>`coalesce(sum(${instanceStatusCounts.count}), 0)` })
      .from(instanceStatusCounts)
      .where(
        and(
          eq(instanceStatusCounts.workflowId, workflowId),
          query.status ? eq(instanceStatusCounts.status, query.status) : undefined,
        ),
      );
    return row?.total ?? 0;
  }
  const capped = db.select({ one: sql`1` }).from(instances).where(filters).limit(TOTAL_COUNT_CAP).as("capped");
  const [row] = await db.select({ total: sql<number>`count(*)` }).from(capped);
  return row?.total ?? 0;
}

function toSummary(row: typeof instances.$inferSelect): InstanceSummary {
  return {
    id: row.id,
    status: row.status,
    created_on: toIso(row.createdOn),
    modified_on: toIso(row.modifiedOn),
    started_on: toIso(row.startedOn),
    ended_on: toIso(row.endedOn),
    version_id: row.versionId,
    workflow_id: row.workflowId,
    trigger_source: row.triggerSource,
  };
}

// ---------------------------------------------------------------------------------------------
// Cursors: an opaque position (creation time, id) and the direction it was walking
// ---------------------------------------------------------------------------------------------

type Position = { createdOn: number; id: string; direction: Direction };

function beyond(position: Position, direction: Direction): SQL {
  const value = sql`(${position.createdOn}, ${position.id})`;
  return direction === "asc"
    ? sql`(${instances.createdOn}, ${instances.id}) > ${value}`
    : sql`(${instances.createdOn}, ${instances.id}) < ${value}`;
}

function encodeCursor(position: Position): string {
  const json = JSON.stringify([position.createdOn, position.id, position.direction]);
  return btoa(String.fromCharCode(...new TextEncoder().encode(json)))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

function decodeCursor(cursor: string): Position {
  try {
    const binary = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    const json = new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
    const [createdOn, id, direction] = JSON.parse(json) as unknown[];
    if (typeof createdOn === "number" && typeof id === "string" && (direction === "asc" || direction === "desc")) {
      return { createdOn, id, direction };
    }
  } catch {
    // Falls through to the error below: a cursor is only ever one we issued.
  }
  throw new ApiError("invalidRequest", "query.cursor: not a cursor this API issued");
}
