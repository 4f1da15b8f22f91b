import { and, asc, desc, eq, getTableColumns, gte, inArray, lt, lte, notInArray, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Db } from "../../db/client";
import { instanceLabelCounts, instanceLabels, instanceStatusCounts, instances, workflows } from "../../db/schema";
import type { InstanceStatus, TriggerSource } from "../../domain/instance-status";
import { type LabelRequirement, type LabelSelector, type Labels, labelJsonPath } from "../../domain/labels";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { type ListResult, listResult } from "../../lib/envelope";
import { ApiError, workflowNotFound } from "../../lib/errors";
import { toIso } from "../../lib/time";
import type { Deps } from "../deps";
import { expiredCounts, unexpired } from "./expired";

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
  /** This control plane's addition: the name of the error an errored instance ended with. */
  error_name: string | null;
  /** This control plane's addition: the instance's labels. */
  labels: Labels;
};

export type Direction = "asc" | "desc";

/** What a list, and a bulk job's selection, can narrow instances by. */
export type InstanceFilter = {
  status?: InstanceStatus | undefined;
  dateStart?: Date | undefined;
  dateEnd?: Date | undefined;
  versionId?: string | undefined;
  triggerSource?: TriggerSource | undefined;
  errorName?: string | undefined;
  idPrefix?: string | undefined;
  labels?: LabelSelector | undefined;
};

export type InstanceListQuery = InstanceFilter & {
  /** Order by creation time; newest first unless "asc". With a cursor, the way to walk from it. */
  direction?: Direction | undefined;
  perPage: number;
  page?: number | undefined;
  cursor?: string | undefined;
};

/**
 * Counting a filtered range means walking it, so `total_count` stops here unless the maintained
 * per-status counts answer it (Cloudflare deprecated the field for cursor paging).
 */
const TOTAL_COUNT_CAP = 1_000;

/**
 * Lists instances from the index: newest first by default, filtered by status, creation date,
 * version, trigger source, error name and id prefix, paged by `page` or by an opaque `cursor`.
 * Each filter is served by an index that also yields creation order, so a page costs the same
 * at any size; `result_info.cursor` is present while more remain in the walking direction.
 * A list only reads: the index follows the engine through the journals (sweeper, Event
 * Subscriptions, reads by id, nudges), never through lists.
 */
export async function listInstances(
  deps: Deps,
  workflowName: string,
  query: InstanceListQuery,
): Promise<ListResult<InstanceSummary>> {
  if (query.page !== undefined && query.cursor !== undefined) {
    throw new ApiError("invalidRequest", "query: page and cursor cannot be used together");
  }
  // One round trip: the workflow's existence, the page, the total and what of it has expired.
  const now = Date.now();
  const workflowId = workflowIdOf(workflowName);
  const plan = listPlan(deps.db, workflowId, query, now);
  const [[workflow], rows, [total], expired] = await deps.db.batch([
    deps.db.select({ id: workflows.id }).from(workflows).where(eq(workflows.name, workflowName)),
    plan.rows,
    plan.total.query,
    expiredCounts(deps.db, now, { workflowId, key: plan.total.counted?.key }),
  ]);
  if (!workflow) throw workflowNotFound(workflowName);

  const items = rows.slice(0, query.perPage);
  const last = items.at(-1);
  const more = rows.length > query.perPage;
  const page = query.page ?? 1;
  const counted = plan.total.counted;
  const expiredOfTotal = counted
    ? expired
        .filter((row) => counted.values === undefined || (row.value !== null && counted.values.includes(row.value)))
        .reduce((sum, row) => sum + (query.status === undefined || row.status === query.status ? row.count : 0), 0)
    : 0;
  const totalCount = (total?.value ?? 0) - expiredOfTotal;

  return listResult(items.map(toSummary), {
    count: items.length,
    per_page: query.perPage,
    total_count: totalCount,
    ...(plan.position ? {} : { page, total_pages: Math.ceil(totalCount / query.perPage) }),
    ...(more && last ? { cursor: encodeCursor([last.createdOn.getTime(), last.id, plan.direction]) } : {}),
  });
}

/**
 * The two queries a list runs (a page with one extra row, and the total), built apart so the
 * benchmark can show their query plans.
 */
export function listPlan(db: Db, workflowId: string | SQL, query: InstanceListQuery, now = Date.now()) {
  const position = query.cursor === undefined ? undefined : decodeCursor(query.cursor, positionOf);
  const direction = query.direction ?? position?.direction ?? "desc";
  const order = direction === "asc" ? asc : desc;
  const walk = walkOf(workflowId, query, now);
  const rows = selectFrom(db, walk, instanceColumns)
    .where(and(walk.where, position ? beyond(walk, position, direction) : undefined))
    .orderBy(order(walk.createdOn), order(walk.id))
    .limit(query.perPage + 1)
    .offset(position ? 0 : ((query.page ?? 1) - 1) * query.perPage);
  return { rows, total: totalQuery(db, workflowId, walk, query), position, direction };
}

const instanceColumns = instances ? getTableColumns(instances) : {};

/**
 * How a selection walks the index in creation order. A selector's first `key=value` (or
 * `key in (…)`) drives it through `instance_labels_by_value`, joining each match to its
 * instance, as a status filter walks `instances_by_status`; its other requirements, and every
 * other filter, are checked on the rows walked.
 */
export type Walk = {
  /** The label requirement that drives the walk, if one does. */
  driver: { key: string; values: string[] } | undefined;
  where: SQL | undefined;
  createdOn: SQLiteColumn;
  id: SQLiteColumn;
};

export function walkOf(workflowId: string | SQL, filter: InstanceFilter, now = Date.now()): Walk {
  const driver = filter.labels?.find((requirement) => requirement.operator === "in");
  if (driver?.operator !== "in") {
    return {
      driver: undefined,
      where: filterConditions(workflowId, filter, now),
      createdOn: instances.createdOn,
      id: instances.id,
    };
  }
  const { dateStart, dateEnd, ...rest } = filter;
  return {
    driver: { key: driver.key, values: driver.values },
    where: and(
      eq(instanceLabels.workflowId, workflowId),
      eq(instanceLabels.key, driver.key),
      driver.values.length === 1
        ? eq(instanceLabels.value, driver.values[0] ?? "")
        : inArray(instanceLabels.value, driver.values),
      dateStart ? gte(instanceLabels.createdOn, dateStart) : undefined,
      dateEnd ? lte(instanceLabels.createdOn, dateEnd) : undefined,
      filterConditions(
        workflowId,
        { ...rest, labels: rest.labels?.filter((requirement) => requirement !== driver) },
        now,
      ),
    ),
    createdOn: instanceLabels.createdOn,
    id: instanceLabels.instanceId,
  };
}

/** `select <fields> from` the walk's tables: the instances, or the label index joined to them. */
export function selectFrom<Fields extends Record<string, SQLiteColumn | SQL.Aliased | SQL>>(
  db: Db,
  walk: Walk,
  fields: Fields,
) {
  const select = db.select(fields);
  return walk.driver === undefined
    ? select.from(instances).$dynamic()
    : select
        .from(instanceLabels)
        .$dynamic()
        .innerJoin(
          instances,
          and(eq(instances.workflowId, instanceLabels.workflowId), eq(instances.id, instanceLabels.instanceId)),
        );
}

/**
 * The conditions of a filter on a workflow's instances, as of `now`; each has an index with
 * creation order. Instances past their retention are left out, as `GET` leaves them out.
 */
export function filterConditions(workflowId: string | SQL, filter: InstanceFilter, now = Date.now()): SQL | undefined {
  return and(
    eq(instances.workflowId, workflowId),
    unexpired(now),
    filter.status ? eq(instances.status, filter.status) : undefined,
    filter.dateStart ? gte(instances.createdOn, filter.dateStart) : undefined,
    filter.dateEnd ? lte(instances.createdOn, filter.dateEnd) : undefined,
    filter.versionId ? eq(instances.versionId, filter.versionId) : undefined,
    filter.triggerSource ? eq(instances.triggerSource, filter.triggerSource) : undefined,
    filter.errorName ? eq(instances.errorName, filter.errorName) : undefined,
    filter.idPrefix ? idStartsWith(filter.idPrefix) : undefined,
    ...(filter.labels ?? []).map(labelCondition),
  );
}

/** One selector requirement, checked on the instance's own `labels`. */
function labelCondition(requirement: LabelRequirement): SQL {
  const value = sql`json_extract(${instances.labels}, ${labelJsonPath(requirement.key)})`;
  switch (requirement.operator) {
    case "in":
      return inArray(value, requirement.values);
    case "notin":
      return sql`(${value} is null or ${notInArray(value, requirement.values)})`;
    case "exists":
      return sql`json_type(${instances.labels}, ${labelJsonPath(requirement.key)}) is not null`;
    case "absent":
      return sql`json_type(${instances.labels}, ${labelJsonPath(requirement.key)}) is null`;
  }
}

/**
 * Exact from maintained counts when they answer it: per status when only a status filters, per
 * label value when only one `key=value` (or `key in (…)`) and a status do; else counted to the
 * cap. `counted` says which maintained counts answered, so the expired rows they still hold can
 * be taken off.
 */
function totalQuery(db: Db, workflowId: string | SQL, walk: Walk, query: InstanceListQuery) {
  const onlyStatus =
    query.dateStart === undefined &&
    query.dateEnd === undefined &&
    query.versionId === undefined &&
    query.triggerSource === undefined &&
    query.errorName === undefined &&
    query.idPrefix === undefined;
  if (onlyStatus && query.labels === undefined) {
    const counted = db
      .select({ value: sql<number>`coalesce(sum(${instanceStatusCounts.count}), 0)` })
      .from(instanceStatusCounts)
      .where(
        and(
          eq(instanceStatusCounts.workflowId, workflowId),
          query.status ? eq(instanceStatusCounts.status, query.status) : undefined,
        ),
      );
    return { query: counted, counted: {} as Counted };
  }
  if (onlyStatus && walk.driver && query.labels?.length === 1) {
    const counted = db
      .select({ value: sql<number>`coalesce(sum(${instanceLabelCounts.count}), 0)` })
      .from(instanceLabelCounts)
      .where(
        and(
          eq(instanceLabelCounts.workflowId, workflowId),
          eq(instanceLabelCounts.key, walk.driver.key),
          inArray(instanceLabelCounts.value, walk.driver.values),
          query.status ? eq(instanceLabelCounts.status, query.status) : undefined,
        ),
      );
    return { query: counted, counted: { key: walk.driver.key, values: walk.driver.values } as Counted };
  }
  const capped = selectFrom(db, walk, { one: sql`1` }).where(walk.where).limit(TOTAL_COUNT_CAP).as("capped");
  return { query: db.select({ value: sql<number>`count(*)` }).from(capped), counted: undefined };
}

/** Which maintained counts answered a total: the status counts, or one label key's (of some values). */
type Counted = { key?: string; values?: string[] };

/**
 * Ids are limited to characters below U+007F, so `prefix` + U+007F bounds every id that starts
 * with `prefix`: a range on the primary key.
 */
function idStartsWith(prefix: string): SQL | undefined {
  return and(gte(instances.id, prefix), lt(instances.id, `${prefix}\u007f`));
}

/** A workflow's id by name, as a subquery the index constraints can use. */
export function workflowIdOf(workflowName: string): SQL {
  return sql`(select ${workflows.id} from ${workflows} where ${workflows.name} = ${workflowName})`;
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
    error_name: row.errorName,
    labels: row.labels ?? {},
  };
}

// ---------------------------------------------------------------------------------------------
// Cursors: an opaque position (creation time, id) and the direction it was walking
// ---------------------------------------------------------------------------------------------

type Position = { createdOn: number; id: string; direction: Direction };

function beyond(walk: Walk, position: Position, direction: Direction): SQL {
  const value = sql`(${position.createdOn}, ${position.id})`;
  return direction === "asc"
    ? sql`(${walk.createdOn}, ${walk.id}) > ${value}`
    : sql`(${walk.createdOn}, ${walk.id}) < ${value}`;
}

/** A cursor's position, as `encodeCursor` wrote it: [created_on, id, direction]. */
function positionOf(value: unknown): Position | undefined {
  if (!Array.isArray(value)) return undefined;
  const [createdOn, id, direction] = value as unknown[];
  if (typeof createdOn === "number" && typeof id === "string" && (direction === "asc" || direction === "desc")) {
    return { createdOn, id, direction };
  }
  return undefined;
}
