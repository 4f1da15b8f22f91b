import { and, asc, desc, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { InstanceStatus, TriggerSource } from "../../domain/instance-status";
import type { LabelSelector } from "../../domain/labels";
import { instanceLabelCounts, instanceStatusCounts, instances } from "../schema";
import type { SegmentDb } from "../segment-db";
import { expiredCounts } from "./expired";
import { labelWalk, type SegmentFilter, type SegmentWalk, selectFrom } from "./filter";

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

/** A place in creation order: rows strictly beyond it (in the walking direction) come next. */
export type ListPosition = { createdOn: number; id: string };

/** What the Worker asks of one segment while it walks a workflow's segments for a page. */
export type SegmentListQuery = InstanceFilter & {
  direction: Direction;
  /** Rows still wanted (the page's remainder plus one, to tell whether more follow). */
  limit: number;
  /** Matching rows still to skip for `page` paging. */
  offset: number;
  /** Where a cursor left off, when it left off in this segment. */
  after?: ListPosition | undefined;
  /** Whether to answer the segment's share of `total_count` too. */
  total: boolean;
  now: number;
};

/** An index row as a list hands it out. */
export type ListedRow = Pick<
  typeof instances.$inferSelect,
  | "id"
  | "versionId"
  | "status"
  | "triggerSource"
  | "createdOn"
  | "startedOn"
  | "endedOn"
  | "modifiedOn"
  | "errorName"
  | "labels"
>;

/** One segment's part of a page. */
export type SegmentPage = {
  rows: ListedRow[];
  /** How many matching rows the offset skipped here (at most the offset asked for). */
  skipped: number;
  total?: SegmentTotal | undefined;
};

/** A segment's share of `total_count`: exact from maintained counts, or counted up to the cap. */
export type SegmentTotal = { value: number; capped: boolean };

/**
 * Counting a filtered range means walking it, so `total_count` stops here unless the maintained
 * per-status counts answer it (Cloudflare deprecated the field for cursor paging).
 */
export const TOTAL_COUNT_CAP = 1_000;

/** One segment's rows of a page, in creation order, from where the walk stands. */
export function listSegment(db: SegmentDb, query: SegmentListQuery): SegmentPage {
  const { rows, walk } = listPlan(db, query);
  const page = rows.all();
  // Rows came back, so the whole offset was used here; none did, so count what it passed over.
  const skipped = query.offset === 0 || page.length > 0 ? query.offset : countUpTo(db, walk, query.offset);
  return { rows: page, skipped, total: query.total ? segmentTotal(db, walk, query, query.now) : undefined };
}

/** The query for one segment's rows of a page (built apart so the benchmark can show its plan). */
export function listPlan(db: SegmentDb, query: SegmentListQuery) {
  const order = query.direction === "asc" ? asc : desc;
  const walk = walkOf(query, query.now);
  const rows = selectFrom(db, walk, instanceColumns)
    .where(and(walk.where, query.after ? beyond(walk, query.after, query.direction) : undefined))
    .orderBy(order(walk.createdOn), order(walk.id))
    .limit(query.limit)
    .offset(query.offset);
  return { rows, walk };
}

/** What a list item shows of a row: params and attempt facts stay in the segment. */
const instanceColumns = {
  id: instances.id,
  versionId: instances.versionId,
  status: instances.status,
  triggerSource: instances.triggerSource,
  createdOn: instances.createdOn,
  startedOn: instances.startedOn,
  endedOn: instances.endedOn,
  modifiedOn: instances.modifiedOn,
  errorName: instances.errorName,
  labels: instances.labels,
};

/** How many rows of the walk match, counted no further than `limit`. */
function countUpTo(db: SegmentDb, walk: Walk, limit: number): number {
  const capped = selectFrom(db, walk, { one: sql`1` }).where(walk.where).limit(limit).as("capped");
  return db.select({ value: sql<number>`count(*)` }).from(capped).get()?.value ?? 0;
}

/** How a list walks one segment: the filter's walk (`./filter.ts`), dates as the wire gives them. */
export type Walk = SegmentWalk;

export function walkOf(filter: InstanceFilter, now: number): Walk {
  return labelWalk(segmentFilterOf(filter), now);
}

export { selectFrom };

function segmentFilterOf({ dateStart, dateEnd, ...rest }: InstanceFilter): SegmentFilter {
  return { ...rest, dateStart: dateStart?.getTime(), dateEnd: dateEnd?.getTime() };
}

/**
 * The segment's share of a list's total: exact from maintained counts when they answer it (per
 * status when only a status filters, per label value when only one `key=value` or `key in (…)`
 * and a status do), less the segment's expired rows they still hold; else counted to the cap.
 */
export function segmentTotal(db: SegmentDb, walk: Walk, filter: InstanceFilter, now: number): SegmentTotal {
  const onlyStatus =
    filter.dateStart === undefined &&
    filter.dateEnd === undefined &&
    filter.versionId === undefined &&
    filter.triggerSource === undefined &&
    filter.errorName === undefined &&
    filter.idPrefix === undefined;
  const matches = (row: { status: InstanceStatus }) => filter.status === undefined || row.status === filter.status;
  if (onlyStatus && filter.labels === undefined) {
    const counted = db
      .select({ value: sql<number>`coalesce(sum(${instanceStatusCounts.count}), 0)` })
      .from(instanceStatusCounts)
      .where(filter.status ? eq(instanceStatusCounts.status, filter.status) : undefined)
      .get();
    const expired = expiredCounts(db, now).filter(matches);
    return { value: (counted?.value ?? 0) - sumOf(expired), capped: false };
  }
  const driver = walk.driver;
  if (onlyStatus && driver && filter.labels?.length === 1) {
    const counted = db
      .select({ value: sql<number>`coalesce(sum(${instanceLabelCounts.count}), 0)` })
      .from(instanceLabelCounts)
      .where(
        and(
          eq(instanceLabelCounts.key, driver.key),
          inArray(instanceLabelCounts.value, driver.values),
          filter.status ? eq(instanceLabelCounts.status, filter.status) : undefined,
        ),
      )
      .get();
    const expired = expiredCounts(db, now, driver.key).filter(
      (row) => matches(row) && row.value !== null && driver.values.includes(row.value),
    );
    return { value: (counted?.value ?? 0) - sumOf(expired), capped: false };
  }
  return { value: countUpTo(db, walk, TOTAL_COUNT_CAP), capped: true };
}

function sumOf(rows: { count: number }[]): number {
  return rows.reduce((sum, row) => sum + row.count, 0);
}

/**
 * Ids are limited to characters below U+007F, so `prefix` + U+007F bounds every id that starts
 * with `prefix`: a range on the primary key.
 */
function _idStartsWith(prefix: string): SQL | undefined {
  return and(gte(instances.id, prefix), lt(instances.id, `${prefix}\u007f`));
}

function beyond(walk: Walk, position: ListPosition, direction: Direction): SQL {
  const value = sql`(${position.createdOn}, ${position.id})`;
  return direction === "asc"
    ? sql`(${walk.createdOn}, ${walk.id}) > ${value}`
    : sql`(${walk.createdOn}, ${walk.id}) < ${value}`;
}
