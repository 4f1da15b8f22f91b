import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { workflows } from "../../db/schema";
import type { InstanceStatus, TriggerSource } from "../../domain/instance-status";
import type { Labels } from "../../domain/labels";
import type { IndexAddress, SegmentRef } from "../../index/config";
import { readAddressByName } from "../../index/directory";
import {
  type Direction,
  type InstanceFilter,
  type ListedRow,
  type ListPosition,
  type SegmentTotal,
  TOTAL_COUNT_CAP,
} from "../../index/reads/list";
import { acrossSegments } from "../../index/workflow-index";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { type ListResult, listResult } from "../../lib/envelope";
import { ApiError, workflowNotFound } from "../../lib/errors";
import { toIso } from "../../lib/time";
import type { Deps } from "../deps";

export type { Direction, InstanceFilter } from "../../index/reads/list";

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

export type InstanceListQuery = InstanceFilter & {
  /** Order by creation time; newest first unless "asc". With a cursor, the way to walk from it. */
  direction?: Direction | undefined;
  perPage: number;
  page?: number | undefined;
  cursor?: string | undefined;
};

/**
 * Lists instances from the index: newest first by default, filtered by status, creation date,
 * version, trigger source, error name, id prefix and labels, paged by `page` or by an opaque
 * `cursor`. Segments hold disjoint spans of creation time, so the page walks them newest first
 * (oldest first for "asc"), asking each for the rows still wanted, and stops once full; each
 * segment serves every filter from an index that yields creation order, so a page costs the
 * same at any size. `result_info.cursor` is present while more remain in the walking direction.
 * A list only reads: the index follows the engine through the journals, never through lists.
 */
export async function listInstances(
  deps: Deps,
  workflowName: string,
  query: InstanceListQuery,
): Promise<ListResult<InstanceSummary>> {
  const { direction: asked, perPage, page, cursor, ...filter } = query;
  if (page !== undefined && cursor !== undefined) {
    throw new ApiError("invalidRequest", "query: page and cursor cannot be used together");
  }
  const position = cursor === undefined ? undefined : decodeCursor(cursor, positionOf);
  const direction = asked ?? position?.direction ?? "desc";
  const address = await readIndexAddress(deps.db, workflowName);
  const now = Date.now();

  const inRange = spansOf(address.segments).filter((span) => overlaps(span, filter));
  const ordered = direction === "asc" ? inRange : [...inRange].reverse();
  const walked = position ? ordered.slice(startOf(ordered, position, direction)) : ordered;
  const first = walked[0];
  // The total needs every segment in range; those the walk will not ask first are asked at once.
  const others = inRange.filter((span) => span !== first).map((span) => span.ref);
  const totalsOfOthers = acrossSegments(deps.index, { ...address, segments: others }, (segment) =>
    segment.total(filter, now),
  );

  const rows: { row: ListedRow; seq: number }[] = [];
  const totals: SegmentTotal[] = [];
  let offset = position ? 0 : ((page ?? 1) - 1) * perPage;
  try {
    for (const span of walked) {
      const limit = perPage + 1 - rows.length;
      if (limit <= 0) break;
      const answer = await deps.index.segment(address, span.ref.seq).list({
        ...filter,
        direction,
        limit,
        offset,
        after: position,
        total: span === first,
        now,
      });
      offset -= answer.skipped;
      for (const row of answer.rows) rows.push({ row, seq: span.ref.seq });
      if (answer.total) totals.push(answer.total);
    }
  } finally {
    // Settled either way, so a failed walk leaves no fan-out behind unobserved.
    totals.push(...(await totalsOfOthers));
  }

  const items = rows.slice(0, perPage);
  const last = items.at(-1);
  const more = rows.length > perPage;
  const summed = totals.reduce((sum, total) => sum + total.value, 0);
  const totalCount = totals.some((total) => total.capped) ? Math.min(summed, TOTAL_COUNT_CAP) : summed;

  return listResult(
    items.map(({ row }) => toSummary(row, address.workflowId)),
    {
      count: items.length,
      per_page: perPage,
      total_count: totalCount,
      ...(position ? {} : { page: page ?? 1, total_pages: Math.ceil(totalCount / perPage) }),
      ...(more && last
        ? { cursor: encodeCursor([last.row.createdOn.getTime(), last.row.id, direction, last.seq]) }
        : {}),
    },
  );
}

/** A workflow's index address by name, in one D1 round trip; a 404 for a workflow that does not exist. */
export async function readIndexAddress(db: Db, workflowName: string): Promise<IndexAddress> {
  const address = await readAddressByName(db, workflowName);
  if (!address) throw workflowNotFound(workflowName);
  return address;
}

/**
 * A live segment and the span of creation times it holds: from its start to the next one's; the
 * oldest live segment also holds anything older, the newest anything newer.
 */
export type SegmentSpan = { ref: SegmentRef; from: number; to: number };

export function spansOf(segments: readonly SegmentRef[]): SegmentSpan[] {
  return segments.map((ref, index) => ({
    ref,
    from: index === 0 ? Number.NEGATIVE_INFINITY : ref.startsOn,
    to: segments[index + 1]?.startsOn ?? Number.POSITIVE_INFINITY,
  }));
}

/** Whether a segment can hold instances the filter's creation dates admit. */
export function overlaps(span: SegmentSpan, filter: InstanceFilter): boolean {
  if (filter.dateStart && span.to <= filter.dateStart.getTime()) return false;
  return !(filter.dateEnd && span.from > filter.dateEnd.getTime());
}

/**
 * Where a cursor's walk resumes among the segments in walking order: the segment it names,
 * else (a cursor from before segments, or its segment since dropped) the first segment whose
 * span reaches past the position in the walking direction.
 */
function startOf(ordered: SegmentSpan[], position: Position, direction: Direction): number {
  const named = ordered.findIndex((span) => span.ref.seq === position.seq);
  if (named >= 0) return named;
  const found = ordered.findIndex((span) =>
    direction === "asc" ? span.to > position.createdOn : span.from <= position.createdOn,
  );
  return found >= 0 ? found : ordered.length;
}

/** A workflow's id by name, as a subquery D1 statements can use. */
export function workflowIdOf(workflowName: string): SQL {
  return sql`(select ${workflows.id} from ${workflows} where ${workflows.name} = ${workflowName})`;
}

/** A list item; the workflow's id comes from the index's address (segment rows do not name it). */
function toSummary(row: ListedRow, workflowId: string): InstanceSummary {
  return {
    id: row.id,
    status: row.status,
    created_on: toIso(row.createdOn),
    modified_on: toIso(row.modifiedOn),
    started_on: toIso(row.startedOn),
    ended_on: toIso(row.endedOn),
    version_id: row.versionId,
    workflow_id: workflowId,
    trigger_source: row.triggerSource,
    error_name: row.errorName,
    labels: row.labels ?? {},
  };
}

// ---------------------------------------------------------------------------------------------
// Cursors: an opaque position (creation time, id), the direction it was walking, its segment
// ---------------------------------------------------------------------------------------------

type Position = ListPosition & { direction: Direction; seq?: number | undefined };

/**
 * A cursor's position, as `encodeCursor` wrote it: [created_on, id, direction, segment seq];
 * cursors issued before segments have no seq and resume by creation time.
 */
function positionOf(value: unknown): Position | undefined {
  if (!Array.isArray(value) || value.length < 3 || value.length > 4) return undefined;
  const [createdOn, id, direction, seq] = value as unknown[];
  if (typeof createdOn !== "number" || typeof id !== "string" || (direction !== "asc" && direction !== "desc")) {
    return undefined;
  }
  if (seq === undefined) return { createdOn, id, direction };
  return Number.isSafeInteger(seq) && typeof seq === "number" && seq >= 0
    ? { createdOn, id, direction, seq }
    : undefined;
}
