import { and, eq, gt, inArray, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { instanceLabelCounts, instanceStatusCounts, instances } from "../../db/schema";
import { INSTANCE_STATUSES, type InstanceStatus } from "../../domain/instance-status";
import { type LabelSelector, labelJsonPath } from "../../domain/labels";
import { ApiError } from "../../lib/errors";
import type { Deps } from "../deps";
import type { InstanceCounts } from "../workflows";
import { findWorkflow } from "../workflows";
import { selectFrom, walkOf } from "./list";

export type GroupDimension = { kind: "status" } | { kind: "version" } | { kind: "label"; key: string };

export type CountGroupKey = {
  status?: InstanceStatus;
  version_id?: string;
  labels?: Record<string, string | null>;
};

export type CountGroup = { key: CountGroupKey; instances: InstanceCounts };

export type CountsResult = { groups: CountGroup[]; source: "counts" | "scan" };

/** The most instances a grouping that the maintained counts cannot answer counts over. */
export const SCAN_LIMIT = 100_000;

/**
 * Exact instance counts of a workflow, grouped by status, version and label values, of the
 * instances a selector matches. By status and by one label key (with a selector on that key
 * only, of `=`, `in` or bare `key`) the maintained counts answer, whatever the number of
 * instances; anything else counts over the matching instances, walked through an index, and is
 * refused past `SCAN_LIMIT` of them.
 */
export async function countInstances(
  deps: Deps,
  workflowName: string,
  query: { groupBy: GroupDimension[]; labels?: LabelSelector | undefined },
): Promise<CountsResult> {
  const workflow = await findWorkflow(deps.db, workflowName);
  const key = countedKey(query.groupBy, query.labels);
  if (key === null) return { groups: await scanCounts(deps, workflow.id, query), source: "scan" };
  const byStatus = query.groupBy.some((dimension) => dimension.kind === "status");
  const byLabel = query.groupBy.some((dimension) => dimension.kind === "label");
  const rows = await maintainedRows(deps, workflow.id, key, query.labels);
  const groups = new Grouping();
  for (const row of rows) {
    groups.add(
      {
        ...(byStatus ? { status: row.status } : {}),
        ...(byLabel && key !== undefined ? { labels: { [key]: row.value } } : {}),
      },
      row.status,
      row.count,
    );
  }
  return { groups: groups.list(), source: "counts" };
}

type CountRow = { value: string | null; status: InstanceStatus; count: number };

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
 * Rows of (label value, status, count) from the maintained counts; with no selector, the
 * instances without the key are the status counts less the key's, and come as value null.
 */
async function maintainedRows(
  { db }: Deps,
  workflowId: string,
  key: string | undefined,
  selector: LabelSelector | undefined,
): Promise<CountRow[]> {
  const statusRows = statusCountRows(db, workflowId);
  if (key === undefined) return (await statusRows).map((row) => ({ ...row, value: null }));
  const values = selector?.flatMap((requirement) => (requirement.operator === "in" ? [requirement.values] : []));
  // Several `in` requirements on the key allow the values they share.
  const allowed =
    values && values.length > 0
      ? values.reduce((kept, each) => kept.filter((value) => each.includes(value)))
      : undefined;
  const labelRows = labelCountRows(db, workflowId, key, allowed);
  if (selector) return allowed?.length === 0 ? [] : await labelRows;
  const [totals, labelled] = await db.batch([statusRows, labelRows]);
  const without = new Map(totals.map((row) => [row.status, row.count]));
  for (const row of labelled) without.set(row.status, (without.get(row.status) ?? 0) - row.count);
  return [
    ...labelled,
    ...[...without].filter(([, count]) => count > 0).map(([status, count]) => ({ value: null, status, count })),
  ];
}

/** A workflow's non-zero per-status counts (exported, as the next, for the benchmark's query plans). */
export function statusCountRows(db: Db, workflowId: string | SQL) {
  return db
    .select({ status: instanceStatusCounts.status, count: instanceStatusCounts.count })
    .from(instanceStatusCounts)
    .where(and(eq(instanceStatusCounts.workflowId, workflowId), gt(instanceStatusCounts.count, 0)));
}

/** A workflow's counts per value and status of one label key: a range of the primary key. */
export function labelCountRows(db: Db, workflowId: string | SQL, key: string, values?: string[]) {
  return db
    .select({ value: instanceLabelCounts.value, status: instanceLabelCounts.status, count: instanceLabelCounts.count })
    .from(instanceLabelCounts)
    .where(
      and(
        eq(instanceLabelCounts.workflowId, workflowId),
        eq(instanceLabelCounts.key, key),
        values ? inArray(instanceLabelCounts.value, values) : undefined,
        gt(instanceLabelCounts.count, 0),
      ),
    );
}

/** Counts over the matching instances, through the index a list would walk, up to the limit. */
async function scanCounts(
  { db }: Deps,
  workflowId: string,
  query: { groupBy: GroupDimension[]; labels?: LabelSelector | undefined },
): Promise<CountGroup[]> {
  const labelKeys = query.groupBy.flatMap((dimension) => (dimension.kind === "label" ? [dimension.key] : []));
  const walk = walkOf(workflowId, { labels: query.labels });
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

  add(key: CountGroupKey, status: InstanceStatus, count: number): void {
    const id = JSON.stringify(key);
    let group = this.#groups.get(id);
    if (!group) {
      group = { key, instances: emptyCounts() };
      this.#groups.set(id, group);
    }
    group.instances[status] += count;
  }

  /** Largest first, so a chart or a table shows what matters most at the top. */
  list(): CountGroup[] {
    const total = (group: CountGroup) => Object.values(group.instances).reduce((sum, count) => sum + count, 0);
    return [...this.#groups.values()].sort((a, b) => total(b) - total(a));
  }
}

function emptyCounts(): InstanceCounts {
  return Object.fromEntries(INSTANCE_STATUSES.map((status) => [status, 0])) as InstanceCounts;
}
