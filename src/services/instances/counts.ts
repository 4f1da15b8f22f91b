import { and, eq, gt, inArray, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { instanceLabelCounts, instanceStatusCounts, instances } from "../../db/schema";
import { INSTANCE_STATUSES, type InstanceStatus } from "../../domain/instance-status";
import { type LabelSelector, labelJsonPath } from "../../domain/labels";
import { ApiError } from "../../lib/errors";
import type { Deps } from "../deps";
import type { InstanceCounts } from "../workflows";
import { findWorkflow } from "../workflows";
import { expiredCounts, withoutExpired } from "./expired";
import { type InstanceFilter, selectFrom, walkOf } from "./list";

export type GroupDimension = { kind: "status" } | { kind: "version" } | { kind: "label"; key: string };

export type CountGroupKey = {
  status?: InstanceStatus;
  version_id?: string;
  labels?: Record<string, string | null>;
};

export type CountGroup = { key: CountGroupKey; instances: InstanceCounts };

export type CountsResult = { groups: CountGroup[]; source: "counts" | "scan" };

/** What to count: groupings, and the instances to count, by any filter a list takes. */
export type CountsQuery = { groupBy: GroupDimension[] } & InstanceFilter;

/** The most instances a grouping that the maintained counts cannot answer counts over. */
export const SCAN_LIMIT = 100_000;

/**
 * Exact instance counts of a workflow, grouped by status, version and label values, of the
 * instances a filter (any a list takes) matches. By status and by one label key, with at most a
 * status and a selector on that key only (of `=`, `in` or bare `key`), the maintained counts
 * answer, whatever the number of instances; anything else counts over the matching instances,
 * walked through an index, and is refused past `SCAN_LIMIT` of them.
 */
export async function countInstances(deps: Deps, workflowName: string, query: CountsQuery): Promise<CountsResult> {
  const workflow = await findWorkflow(deps.db, workflowName);
  const { groupBy, labels, status, ...others } = query;
  const onlyStatus = Object.values(others).every((value) => value === undefined);
  const key = onlyStatus ? countedKey(groupBy, labels) : null;
  if (key === null) return { groups: await scanCounts(deps, workflow.id, query), source: "scan" };
  const byStatus = groupBy.some((dimension) => dimension.kind === "status");
  const byLabel = groupBy.some((dimension) => dimension.kind === "label");
  const groups = new Grouping();
  for (const { value, counts } of await maintainedCounts(deps, workflow.id, key, labels)) {
    const labelKey = byLabel && key !== undefined ? { labels: { [key]: value } } : {};
    // The group's identity, cheaper than serialising its key per row.
    const id = byLabel ? (value ?? "\u0000") : "";
    for (const counted of status ? [status] : INSTANCE_STATUSES) {
      const count = counts[counted] ?? 0;
      const groupKey = byStatus ? { status: counted, ...labelKey } : labelKey;
      if (count > 0) groups.add(groupKey, counted, count, `${byStatus ? counted : ""}/${id}`);
    }
  }
  return { groups: groups.list(), source: "counts" };
}

/** Per-status counts of one label value (null: of the instances without the key, or of all). */
type ValueCounts = { value: string | null; counts: Partial<InstanceCounts> };

/**
 * The label key whose maintained counts answer the query (undefined: the status counts do), or
 * null when they cannot.
 */
function countedKey(groupBy: GroupDimension[], selector: LabelSelector | undefined): string | undefined | null {
  if (groupBy.some((dimension) => dimension.kind === "version")) return null;
  const labelKeys = groupBy.flatMap((dimension) => (dimension.kind === "label" ? [dimension.key] : []));
  if (labelKeys.length > 1) return null;
  const key = labelKeys[0] ?? selector?.[0]?.key;
  if (!selector) return key;
  const answerable = selector.every(
    (requirement) => requirement.key === key && (requirement.operator === "in" || requirement.operator === "exists"),
  );
  return answerable ? key : null;
}

/**
 * Per-status counts of each value of `key` from the maintained counts; with no selector, the
 * instances without the key are the status counts less the key's, and come as value null.
 */
async function maintainedCounts(
  { db }: Deps,
  workflowId: string,
  key: string | undefined,
  selector: LabelSelector | undefined,
): Promise<ValueCounts[]> {
  // The maintained counts still hold instances past their retention until the pass removes them.
  const expired = expiredCounts(db, Date.now(), { workflowId, key });
  const totals = statusCountRows(db, workflowId);
  if (key === undefined) {
    const [all, gone] = await db.batch([totals, expired]);
    return [{ value: null, counts: withoutExpired(countsOf(all), gone, { workflowId }) }];
  }
  const values = selector?.flatMap((requirement) => (requirement.operator === "in" ? [requirement.values] : []));
  // Several `in` requirements on the key allow the values they share.
  const allowed =
    values && values.length > 0
      ? values.reduce((kept, each) => kept.filter((value) => each.includes(value)))
      : undefined;
  if (allowed?.length === 0) return [];
  const [all, labelled, gone] = await db.batch([totals, labelCountRows(db, workflowId, key, allowed), expired]);
  const byValue = labelled.map((row) => ({
    value: row.value,
    counts: withoutExpired(JSON.parse(row.counts) as Partial<InstanceCounts>, gone, { workflowId, value: row.value }),
  }));
  if (selector) return byValue;
  const without = withoutExpired(countsOf(all), gone, { workflowId });
  for (const { counts } of byValue) {
    for (const status of INSTANCE_STATUSES) without[status] = (without[status] ?? 0) - (counts[status] ?? 0);
  }
  return [...byValue, { value: null, counts: without }];
}

function countsOf(rows: { status: InstanceStatus; count: number }[]): Partial<InstanceCounts> {
  return Object.fromEntries(rows.map((row) => [row.status, row.count]));
}

/** A workflow's non-zero per-status counts (exported, as the next, for the benchmark's query plans). */
export function statusCountRows(db: Db, workflowId: string | SQL) {
  return db
    .select({ status: instanceStatusCounts.status, count: instanceStatusCounts.count })
    .from(instanceStatusCounts)
    .where(and(eq(instanceStatusCounts.workflowId, workflowId), gt(instanceStatusCounts.count, 0)));
}

/**
 * A workflow's counts of one label key, one row per value with its per-status counts as a JSON
 * object: a range of the primary key, grouped in SQL (D1 hands over a ninth of the rows).
 */
export function labelCountRows(db: Db, workflowId: string | SQL, key: string, values?: string[]) {
  return db
    .select({
      value: instanceLabelCounts.value,
      counts: sql<string>`json_group_object(${instanceLabelCounts.status}, ${instanceLabelCounts.count})`,
    })
    .from(instanceLabelCounts)
    .where(
      and(
        eq(instanceLabelCounts.workflowId, workflowId),
        eq(instanceLabelCounts.key, key),
        values ? inArray(instanceLabelCounts.value, values) : undefined,
        gt(instanceLabelCounts.count, 0),
      ),
    )
    .groupBy(instanceLabelCounts.value);
}

/** Counts over the matching instances, through the index a list would walk, up to the limit. */
async function scanCounts({ db }: Deps, workflowId: string, query: CountsQuery): Promise<CountGroup[]> {
  const labelKeys = query.groupBy.flatMap((dimension) => (dimension.kind === "label" ? [dimension.key] : []));
  const { groupBy: _groupBy, ...filter } = query;
  const walk = walkOf(workflowId, filter);
  const fields: Record<string, SQL.Aliased> = {
    status: sql<InstanceStatus>`${instances.status}`.as("status"),
    version: sql<string>`${instances.versionId}`.as("version"),
  };
  labelKeys.forEach((key, index) => {
    fields[`label${index}`] = sql<string | null>`json_extract(${instances.labels}, ${labelJsonPath(key)})`.as(
      `label${index}`,
    );
  });
  const matching = selectFrom(db, walk, fields)
    .where(walk.where)
    .limit(SCAN_LIMIT + 1)
    .as("matching");
  const dimensions = Object.keys(fields).map((name) => sql.raw(`"${name}"`));
  const rows = (await db
    .select({ row: sql<string>`json_array(${sql.join(dimensions, sql`, `)}, count(*))` })
    .from(matching)
    .groupBy(...dimensions)) as { row: string }[];

  const groups = new Grouping();
  let total = 0;
  for (const { row } of rows) {
    const [status, version, ...rest] = JSON.parse(row) as [InstanceStatus, string, ...(string | number | null)[]];
    const count = Number(rest.pop());
    total += count;
    const has = (kind: GroupDimension["kind"]) => query.groupBy.some((dimension) => dimension.kind === kind);
    const key: CountGroupKey = {
      ...(has("status") ? { status } : {}),
      ...(has("version") ? { version_id: version } : {}),
      ...(labelKeys.length > 0
        ? {
            labels: Object.fromEntries(
              labelKeys.map((label, index) => [label, (rest[index] as string | null) ?? null]),
            ),
          }
        : {}),
    };
    groups.add(key, status, count);
  }
  if (total > SCAN_LIMIT) {
    throw new ApiError(
      "invalidRequest",
      `group_by: more than ${SCAN_LIMIT.toLocaleString("en")} instances match, and this grouping counts over them one by one; group by status and at most one label (with a selector on that label only), or narrow the selector`,
    );
  }
  return groups.list();
}

/** Groups by their key, in the order first seen, each with counts for every status. */
class Grouping {
  #groups = new Map<string, CountGroup>();

  add(key: CountGroupKey, status: InstanceStatus, count: number, id = JSON.stringify(key)): void {
    let group = this.#groups.get(id);
    if (!group) {
      group = { key, instances: emptyCounts() };
      this.#groups.set(id, group);
    }
    group.instances[status] += count;
  }

  /** Largest first, so a chart or a table shows what matters most at the top. */
  list(): CountGroup[] {
    const totals = [...this.#groups.values()].map((group) => ({
      group,
      total: Object.values(group.instances).reduce((sum, count) => sum + count, 0),
    }));
    return totals.sort((a, b) => b.total - a.total).map(({ group }) => group);
  }
}

function emptyCounts(): InstanceCounts {
  return Object.fromEntries(INSTANCE_STATUSES.map((status) => [status, 0])) as InstanceCounts;
}
