import { and, eq, gte, inArray, lt, lte, notInArray, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { InstanceStatus, TriggerSource } from "../../domain/instance-status";
import { type LabelRequirement, type LabelSelector, labelJsonPath } from "../../domain/labels";
import { instanceLabels, instances } from "../schema";
import type { SegmentDb } from "../segment-db";
import { unexpired } from "./expired";

/** What a list, a count and a bulk job's selection narrow a segment's instances by. */
export type SegmentFilter = {
  status?: InstanceStatus | undefined;
  /** Any of these statuses (a bulk job's `status` filter); ignored when `status` is given. */
  statuses?: InstanceStatus[] | undefined;
  /** Epoch ms, inclusive. */
  dateStart?: number | undefined;
  /** Epoch ms, inclusive. */
  dateEnd?: number | undefined;
  versionId?: string | undefined;
  triggerSource?: TriggerSource | undefined;
  errorName?: string | undefined;
  idPrefix?: string | undefined;
  labels?: LabelSelector | undefined;
};

/**
 * How a selection walks one segment in creation order. A selector's first `key=value` (or
 * `key in (…)`) drives it through `instance_labels_by_value`, joining each match to its
 * instance, as a status filter walks `instances_by_status`; every other condition is checked on
 * the rows walked.
 */
export type SegmentWalk = {
  driver: { key: string; values: string[] } | undefined;
  where: SQL | undefined;
  createdOn: SQLiteColumn;
  id: SQLiteColumn;
};

export function labelWalk(filter: SegmentFilter, now: number): SegmentWalk {
  const driver = filter.labels?.find((requirement) => requirement.operator === "in");
  if (driver?.operator !== "in") {
    return {
      driver: undefined,
      where: filterConditions(filter, now),
      createdOn: instances.createdOn,
      id: instances.id,
    };
  }
  const { dateStart, dateEnd, ...rest } = filter;
  return {
    driver: { key: driver.key, values: driver.values },
    where: and(
      eq(instanceLabels.key, driver.key),
      driver.values.length === 1
        ? eq(instanceLabels.value, driver.values[0] ?? "")
        : inArray(instanceLabels.value, driver.values),
      dateStart === undefined ? undefined : gte(instanceLabels.createdOn, new Date(dateStart)),
      dateEnd === undefined ? undefined : lte(instanceLabels.createdOn, new Date(dateEnd)),
      filterConditions({ ...rest, labels: rest.labels?.filter((requirement) => requirement !== driver) }, now),
    ),
    createdOn: instanceLabels.createdOn,
    id: instanceLabels.instanceId,
  };
}

/** `select <fields> from` the walk's tables: the instances, or the label index joined to them. */
export function selectFrom<Fields extends Record<string, SQLiteColumn | SQL.Aliased | SQL>>(
  db: SegmentDb,
  walk: SegmentWalk,
  fields: Fields,
) {
  const select = db.select(fields);
  return walk.driver === undefined
    ? select.from(instances).$dynamic()
    : select.from(instanceLabels).$dynamic().innerJoin(instances, eq(instances.id, instanceLabels.instanceId));
}

/**
 * The conditions of a filter on a segment's instances, as of `now`; each has an index with
 * creation order. Instances past their retention are left out, as `GET` leaves them out.
 */
export function filterConditions(filter: SegmentFilter, now: number): SQL | undefined {
  return and(
    unexpired(now),
    filter.status
      ? eq(instances.status, filter.status)
      : filter.statuses
        ? inArray(instances.status, filter.statuses)
        : undefined,
    filter.dateStart === undefined ? undefined : gte(instances.createdOn, new Date(filter.dateStart)),
    filter.dateEnd === undefined ? undefined : lte(instances.createdOn, new Date(filter.dateEnd)),
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

/** An id prefix as a range on the primary key. */
function idStartsWith(prefix: string): SQL | undefined {
  return and(gte(instances.id, prefix), lt(instances.id, `${prefix}\u007f`));
}
