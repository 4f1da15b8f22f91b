import type { Db } from "../db/client";
import type { Jurisdiction } from "../domain/jurisdiction";
import { forEachConcurrently } from "../lib/concurrency";
import type { IndexAddress, SegmentRef } from "./config";
import { type IndexTarget, openNextSegment, readAddress, readTargets } from "./directory";
import type { IndexSegment, InstanceRow, Reservation, WriteOutcome } from "./segment";
import type { SummaryUpdate } from "./summaries";

export type SegmentStub = DurableObjectStub<IndexSegment>;

/** How a Worker reaches the segments of workflows' indexes. */
export type IndexAccess = {
  /** The segment `seq` of a workflow's index, in the workflow's jurisdiction. */
  segment(address: Pick<IndexAddress, "workflowId" | "jurisdiction">, seq: number): SegmentStub;
  /** How many instances a segment takes before the next one starts (`INDEX_SEGMENT_SIZE`). */
  readonly segmentSize: number;
};

/** The default segment size: about 3 GB of a Durable Object's 10 GB at ~6 KB per instance. */
export const DEFAULT_SEGMENT_SIZE = 500_000;

/** How many segments one read asks at once. */
export const SEGMENT_FAN_OUT = 16;

export function createIndexAccess(env: Env): IndexAccess {
  const configured = Number(env.INDEX_SEGMENT_SIZE);
  return {
    segment: ({ workflowId, jurisdiction }, seq) => segmentStub(env, workflowId, jurisdiction, seq),
    segmentSize: Number.isInteger(configured) && configured > 0 ? configured : DEFAULT_SEGMENT_SIZE,
  };
}

function segmentStub(env: Env, workflowId: string, jurisdiction: Jurisdiction | null, seq: number): SegmentStub {
  return namespaceIn(env.INDEX_SEGMENT, jurisdiction).getByName(`${workflowId}/${seq}`);
}

/**
 * The namespace restricted to `jurisdiction`. Local workerd has no jurisdictions and says so
 * when asked; there the restriction is left out, as Cloudflare ignores a Workflow's
 * jurisdiction in local development.
 */
function namespaceIn<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
  jurisdiction: Jurisdiction | null,
): DurableObjectNamespace<T> {
  if (!jurisdiction) return namespace;
  try {
    return namespace.jurisdiction(jurisdiction);
  } catch (error) {
    if (error instanceof Error && /not implemented in workerd/i.test(error.message)) return namespace;
    throw error;
  }
}

/**
 * The segment an instance created at `createdOn` belongs to: the newest that started at or
 * before it (or the oldest live one, for an instance older than every live segment).
 */
export function segmentFor(segments: readonly SegmentRef[], createdOn: number): SegmentRef {
  let found = segments[0] ?? { seq: 0, startsOn: 0 };
  for (const segment of segments) if (segment.startsOn <= createdOn) found = segment;
  return found;
}

/** How many times a write follows segments that ended under it before it gives up. */
const ROUTING_ATTEMPTS = 5;

type Routed<Item> = {
  db: Db;
  index: IndexAccess;
  target: IndexTarget;
  items: Item[];
  createdOn: (item: Item) => number;
};

/**
 * Sends items to the segments they belong to by creation time, each segment's share in one
 * request; items a segment refuses (it ended meanwhile) go again by the updated directory.
 */
async function routeWrites<Item extends { id: string }, Answer extends WriteOutcome>(
  { db, index, target, items, createdOn }: Routed<Item>,
  send: (segment: SegmentStub, items: Item[]) => Promise<Answer>,
): Promise<{ answers: Answer[]; address: IndexAddress }> {
  let address = target.address;
  let pending = items;
  const answers: Answer[] = [];
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > ROUTING_ATTEMPTS)
      throw new Error(`index writes to workflow ${address.workflowId} kept missing their segment`);
    const bySegment = new Map<number, { segment: SegmentRef; items: Item[] }>();
    for (const item of pending) {
      const segment = segmentFor(address.segments, createdOn(item));
      const group = bySegment.get(segment.seq) ?? { segment, items: [] };
      group.items.push(item);
      bySegment.set(segment.seq, group);
    }
    const refused = new Set<string>();
    let ended: { segment: SegmentRef; endsOn: number } | undefined;
    await forEachConcurrently(bySegment.values(), SEGMENT_FAN_OUT, async (group) => {
      const answer = await send(index.segment(address, group.segment.seq), group.items);
      answers.push(answer);
      for (const id of answer.refused) refused.add(id);
      const newest = address.segments.at(-1);
      if (answer.endsOn !== null && newest?.seq === group.segment.seq)
        ended = { segment: group.segment, endsOn: answer.endsOn };
    });
    if (ended) address = await openNextSegment(db, address, ended.segment, ended.endsOn);
    else if (refused.size > 0)
      address = await readAddress(db, { id: address.workflowId, jurisdiction: address.jurisdiction });
    pending = pending.filter((item) => refused.has(item.id));
  }
  return { answers, address };
}

/**
 * How far after a create's reservation the journal's creation time of the instance (the
 * engine's queue time) may come: a summary this close after a segment's start may belong to a
 * row the previous segment holds.
 */
export const RESERVATION_SKEW_MS = 60_000;

/** Writes journals' summaries into their workflows' indexes; summaries of unknown workflows are dropped. */
export async function writeToIndex(db: Db, index: IndexAccess, updates: SummaryUpdate[]): Promise<void> {
  if (updates.length === 0) return;
  const targets = await readTargets(db, [...new Set(updates.map((update) => update.workflowName))]);
  await Promise.all(
    [...targets].map(async ([name, target]) => {
      const own = updates.filter((update) => update.workflowName === name);
      const pending = await writeHeldBefore(index, target, own);
      await routeWrites(
        {
          db,
          index,
          target,
          items: pending.map((update) => ({ ...update, id: update.instanceId })),
          createdOn: (update) => update.createdOn,
        },
        (segment, items) => segment.write(target.config, items, index.segmentSize),
      );
    }),
  );
}

/**
 * Summaries created just after a segment's start go first to the segment before it, which
 * takes those whose rows it holds (reserved by a create just before the boundary); answers the
 * rest, to be routed by their creation time.
 */
async function writeHeldBefore(index: IndexAccess, target: IndexTarget, updates: SummaryUpdate[]) {
  const { segments } = target.address;
  const byPrevious = new Map<number, SummaryUpdate[]>();
  const rest: SummaryUpdate[] = [];
  for (const update of updates) {
    const position = segments.indexOf(segmentFor(segments, update.createdOn));
    const previous = segments[position - 1];
    const start = segments[position]?.startsOn ?? 0;
    if (previous && update.createdOn - start < RESERVATION_SKEW_MS) {
      byPrevious.set(previous.seq, [...(byPrevious.get(previous.seq) ?? []), update]);
    } else rest.push(update);
  }
  await forEachConcurrently(byPrevious, SEGMENT_FAN_OUT, async ([seq, items]) => {
    const outcome = await index
      .segment(target.address, seq)
      .write(target.config, items, index.segmentSize, { heldOnly: true });
    const refused = new Set(outcome.refused);
    rest.push(...items.filter((item) => refused.has(item.instanceId)));
  });
  return rest;
}

/**
 * Reserves ids for a create in the segment of their creation time; answers those that were
 * free, and the address as the writes left it (a full segment may have opened the next one).
 */
export async function reserveInIndex(
  db: Db,
  index: IndexAccess,
  target: IndexTarget,
  rows: Reservation[],
): Promise<{ reserved: string[]; address: IndexAddress }> {
  const { answers, address } = await routeWrites(
    { db, index, target, items: rows, createdOn: (row) => row.createdOn.getTime() },
    (segment, items) => segment.reserve(target.config, items, index.segmentSize),
  );
  return { reserved: answers.flatMap((answer) => answer.reserved), address };
}

/** Drops rows (reservations a create made at `reservedAt`, when given) wherever they are. */
export async function releaseFromIndex(
  index: IndexAccess,
  address: IndexAddress,
  ids: string[],
  reservedAt?: number,
): Promise<void> {
  if (ids.length === 0) return;
  const segments = reservedAt === undefined ? address.segments : [segmentFor(address.segments, reservedAt)];
  await forEachConcurrently(segments, SEGMENT_FAN_OUT, (segment) =>
    index.segment(address, segment.seq).release(ids, reservedAt),
  );
}

/**
 * Finds an instance's row: in the segment of its creation time when that is known (the
 * journal's), else in each segment, newest first, `SEGMENT_FAN_OUT` at a time.
 */
export async function findInIndex(
  index: IndexAccess,
  address: IndexAddress,
  id: string,
  createdOn?: number | null,
): Promise<{ row: InstanceRow; seq: number } | undefined> {
  if (createdOn !== undefined && createdOn !== null) {
    const segment = segmentFor(address.segments, createdOn);
    const row = await index.segment(address, segment.seq).get(id);
    if (row) return { row, seq: segment.seq };
  }
  const newestFirst = [...address.segments].reverse();
  for (let start = 0; start < newestFirst.length; start += SEGMENT_FAN_OUT) {
    const wave = newestFirst.slice(start, start + SEGMENT_FAN_OUT);
    const rows = await Promise.all(wave.map((segment) => index.segment(address, segment.seq).get(id)));
    const found = rows.findIndex((row) => row !== null);
    const row = rows[found];
    const segment = wave[found];
    if (row && segment) return { row, seq: segment.seq };
  }
  return undefined;
}

/** Runs `read` on every live segment of a workflow's index, `SEGMENT_FAN_OUT` at once; answers in segment order. */
export async function acrossSegments<Answer>(
  index: IndexAccess,
  address: IndexAddress,
  read: (segment: SegmentStub, ref: SegmentRef) => Promise<Answer>,
): Promise<Answer[]> {
  const answers: Answer[] = new Array(address.segments.length);
  await forEachConcurrently(address.segments.entries(), SEGMENT_FAN_OUT, async ([position, ref]) => {
    answers[position] = await read(index.segment(address, ref.seq), ref);
  });
  return answers;
}
