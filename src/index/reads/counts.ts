import { and, eq, gt, inArray, type SQL, sql } from "drizzle-orm";
import { INSTANCE_STATUSES, type InstanceStatus } from "../../domain/instance-status";
import { type LabelSelector, labelJsonPath } from "../../domain/labels";
import { instanceLabelCounts, instanceStatusCounts, instances } from "../schema";
import type { SegmentDb } from "../segment-db";
import { expiredCounts, withoutExpired } from "./expired";
import { type InstanceFilter, selectFrom, walkOf } from "./list";

export type InstanceCounts = Record<InstanceStatus, number>;

export type GroupDimension = { kind: "status" } | { kind: "version" } | { kind: "label"; key: string };

export type CountGroupKey = {
  status?: InstanceStatus;
  version_id?: string;
  labels?: Record<string, string | null>;
};

export type CountGroup = { key: CountGroupKey; instances: InstanceCounts };

/** What to count: groupings, and the instances to count, by any filter a list takes. */
export type CountsQuery = { groupBy: GroupDimension[] } & InstanceFilter;

/** The most instances a grouping that the maintained counts cannot answer counts over. */
export const SCAN_LIMIT = 100_000;

/**
 * A group as a segment hands it over: its key as JSON and its counts in `INSTANCE_STATUSES`
 * order. A string and an array cross the RPC boundary far cheaper than a key object and a
 * record of nine statuses; the Worker adds segments' groups up by key and builds `CountGroup`s once.
 */
export type PackedGroup = { key: string; counts: number[] };

/**
 * One segment's groups: from its maintained counts, or counted over its matching instances (up
 * to one more than `SCAN_LIMIT`; `scanned` says how many, so the Worker can refuse past it).
 */
export type SegmentCounts = { groups: PackedGroup[]; source: "counts" | "scan"; scanned: number };

/**
 * The segment's counts of the instances a filter matches, grouped by status, version and label
 * values. By status and by one label key, with at most a status and a selector on that key only
 * (of `=`, `in` or bare `key`), the maintained counts answer less the segment's expired rows;
 * anything else counts over the matching instances, walked through an index.
 */
export function countSegment(db: SegmentDb, query: CountsQuery, now: number): SegmentCounts {
  const { groupBy, labels, status, ...others } = query;
  const onlyStatus = Object.values(others).every((value) => value === undefined);
  const key = onlyStatus ? countedKey(groupBy, labels) : null;
  if (key === null) return scanCounts(db, query, now);
  const byStatus = groupBy.some((dimension) => dimension.kind === "status");
  const byLabel = groupBy.some((dimension) => dimension.kind === "label");
  const groups = new Grouping();
  for (const { value, counts } of maintainedCounts(db, key, labels, now)) {
    const labelKey = byLabel && key !== undefined ? { labels: { [key]: value } } : {};
    const unsplit = JSON.stringify(labelKey);
    for (const counted of status ? [status] : INSTANCE_STATUSES) {
      const count = counts[counted] ?? 0;
      if (count > 0) groups.add(byStatus ? JSON.stringify({ status: counted, ...labelKey }) : unsplit, counted, count);
    }
  }
  return { groups: groups.packed(), source: "counts", scanned: 0 };
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
function maintainedCounts(
  db: SegmentDb,
  key: string | undefined,
  selector: LabelSelector | undefined,
  now: number,
): ValueCounts[] {
  // The maintained counts still hold instances past their retention until the pass removes them.
  const gone = expiredCounts(db, now, key);
  const all = countsOf(statusCountRows(db).all());
  if (key === undefined) return [{ value: null, counts: withoutExpired(all, gone) }];
  const values = selector?.flatMap((requirement) => (requirement.operator === "in" ? [requirement.values] : []));
  // Several `in` requirements on the key allow the values they share.
  const allowed =
    values && values.length > 0
      ? values.reduce((kept, each) => kept.filter((value) => each.includes(value)))
      : undefined;
  if (allowed?.length === 0) return [];
  const byValue = labelCountRows(db, key, allowed)
    .all()
    .map((row) => ({
      value: row.value,
      counts: withoutExpired(JSON.parse(row.counts) as Partial<InstanceCounts>, gone, row.value),
    }));
  if (selector) return byValue;
  const without = withoutExpired(all, gone);
  for (const { counts } of byValue) {
    for (const status of INSTANCE_STATUSES) without[status] = (without[status] ?? 0) - (counts[status] ?? 0);
  }
  return [...byValue, { value: null, counts: without }];
}

function countsOf(rows: { status: InstanceStatus; count: number }[]): Partial<InstanceCounts> {
  return Object.fromEntries(rows.map((row) => [row.status, row.count]));
}

/** The segment's non-zero per-status counts (exported, as the next, for the benchmark's query plans). */
export function statusCountRows(db: SegmentDb) {
  return db
    .select({ status: instanceStatusCounts.status, count: instanceStatusCounts.count })
    .from(instanceStatusCounts)
    .where(gt(instanceStatusCounts.count, 0));
}

/** The segment's counts of one label key, one row per value with its per-status counts as a JSON object. */
export function labelCountRows(db: SegmentDb, key: string, values?: string[]) {
  return db
    .select({
      value: instanceLabelCounts.value,
      counts: sql<string>`json_group_object(${instanceLabelCounts.status}, ${instanceLabelCounts.count})`,
    })
    .from(instanceLabelCounts)
    .where(
      and(
        eq(instanceLabelCounts.key, key),
        values ? inArray(instanceLabelCounts.value, values) : undefined,
        gt(instanceLabelCounts.count, 0),
      ),
    )
    .groupBy(instanceLabelCounts.value);
}

/** Counts over the matching instances, through the index a list would walk, up to one past the limit. */
function scanCounts(db: SegmentDb, query: CountsQuery, now: number): SegmentCounts {
  const labelKeys = query.groupBy.flatMap((dimension) => (dimension.kind === "label" ? [dimension.key] : []));
  const { groupBy: _groupBy, ...filter } = query;
  const walk = walkOf(filter, now);
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
  const rows = db
    .select({ row: sql<string>`json_array(${sql.join(dimensions, sql`, `)}, count(*))` })
    .from(matching)
    .groupBy(...dimensions)
    .all();

  const groups = new Grouping();
  let scanned = 0;
  const has = (kind: GroupDimension["kind"]) => query.groupBy.some((dimension) => dimension.kind === kind);
  for (const { row } of rows) {
    const [status, version, ...rest] = JSON.parse(row) as [InstanceStatus, string, ...(string | number | null)[]];
    const count = Number(rest.pop());
    scanned += count;
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
    groups.add(JSON.stringify(key), status, count);
  }
  return { groups: groups.packed(), source: "scan", scanned };
}

const STATUS_INDEX = new Map(INSTANCE_STATUSES.map((status, index) => [status, index]));

/** Groups by their key (as JSON), each with counts for every status. */
export class Grouping {
  readonly #groups = new Map<string, number[]>();

  add(key: string, status: InstanceStatus, count: number): void {
    const counts = this.#countsOf(key);
    const index = STATUS_INDEX.get(status) ?? 0;
    counts[index] = (counts[index] ?? 0) + count;
  }

  /** Adds another grouping's packed groups (a segment's) to these. */
  addPacked(groups: readonly PackedGroup[]): void {
    for (const { key, counts } of groups) {
      const mine = this.#countsOf(key);
      counts.forEach((count, index) => {
        mine[index] = (mine[index] ?? 0) + count;
      });
    }
  }

  packed(): PackedGroup[] {
    return [...this.#groups].map(([key, counts]) => ({ key, counts }));
  }

  /** Largest first, so a chart or a table shows what matters most at the top. */
  list(): CountGroup[] {
    return [...this.#groups]
      .map(([key, counts]) => ({ key, counts, total: counts.reduce((sum, count) => sum + count, 0) }))
      .sort((a, b) => b.total - a.total)
      .map(({ key, counts }) => ({
        key: JSON.parse(key) as CountGroupKey,
        instances: Object.fromEntries(
          INSTANCE_STATUSES.map((status, index) => [status, counts[index] ?? 0]),
        ) as InstanceCounts,
      }));
  }

  #countsOf(key: string): number[] {
    let counts = this.#groups.get(key);
    if (!counts) {
      counts = INSTANCE_STATUSES.map(() => 0);
      this.#groups.set(key, counts);
    }
    return counts;
  }
}
