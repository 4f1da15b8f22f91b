import { DurableObject } from "cloudflare:workers";
import { and, eq, inArray, max, sum } from "drizzle-orm";
import type { InstanceStatus } from "../domain/instance-status";
import type { Labels } from "../domain/labels";
import type { SegmentConfig } from "./config";
import { changeLabels, type LabelsChange } from "./labels";
import {
  type DueInstance,
  dueInstances,
  expireInstances,
  purgeInstances,
  rowCount,
  type SelectedInstance,
  type SelectionCursor,
  selectInstances,
  statusesOf,
  unfinishedInstances,
} from "./maintenance";
import { type CountsQuery, countSegment, type SegmentCounts } from "./reads/counts";
import type { SegmentFilter } from "./reads/filter";
import {
  type InstanceFilter,
  listSegment,
  type SegmentListQuery,
  type SegmentPage,
  type SegmentTotal,
  segmentTotal,
  walkOf,
} from "./reads/list";
import {
  absorbMetricRows,
  type BucketWindow,
  type ErrorSums,
  type EventSums,
  type EventTotals,
  expireMetricBuckets,
  exportMetricRows,
  type MetricRows,
  readErrorSums,
  readEventSums,
  readEventTotals,
  readLiveStatusCounts,
  readStepSums,
  type SeriesOf,
  type StepSums,
} from "./reads/metrics";
import { type StatusCounts, statusCounts } from "./reads/status-counts";
import { indexConfig, instanceStatusCounts, instances } from "./schema";
import { migrateSegmentDb, openSegmentDb, type SegmentDb } from "./segment-db";
import { type SummaryUpdate, writeSummaries } from "./summaries";

/** An index row as segments hand it out. */
export type InstanceRow = typeof instances.$inferSelect;

/** A reservation of an id by a create, before the engine is asked. */
export type Reservation = Omit<
  typeof instances.$inferInsert,
  "revision" | "expiresOn" | "attemptFacts" | "attemptsMark"
>;

/**
 * What a write tells its writer: the rows it refused because they belong to a newer segment
 * (created at or after `endsOn`), and the segment's end once it is full, so the writer can add
 * the next segment to the directory.
 */
export type WriteOutcome = { refused: string[]; endsOn: number | null };

/** What a segment holds: its instances, its bytes, and its end once full. */
export type SegmentStats = { instances: number; bytes: number; endsOn: number | null };

/**
 * One segment of a workflow's index: the instances of one workflow created in one span of time,
 * with their labels, exact counts and metric buckets, in the object's own SQLite. Writers (the
 * create path, the journals through `IndexWriter`) send rows here; reads fan out over a
 * workflow's segments (`./workflow-index.ts`). Once it holds `size` instances the segment ends:
 * it keeps taking rows created before its end, and refuses newer ones, which go to the next.
 */
export class IndexSegment extends DurableObject<Env> {
  readonly #db: SegmentDb;
  /** The config this object last stored, as JSON; unknown after a restart. */
  #storedConfig: string | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#db = openSegmentDb(ctx);
  }

  /** Writes the journals' summaries; `size` is the segment size the writer configures. */
  async write(
    config: SegmentConfig,
    updates: SummaryUpdate[],
    size: number,
    { heldOnly = false } = {},
  ): Promise<WriteOutcome> {
    return this.#transaction(config, size, (endsOn) => {
      // A row held here takes its updates whatever their creation time: the journal's (the
      // engine's queue time) comes a little after the create's reservation, maybe past the end.
      const [accepted, refused] = partition(
        updates,
        (update) => this.#holds(update.instanceId) || (!heldOnly && (endsOn === null || update.createdOn < endsOn)),
      );
      writeSummaries(this.#db, config, accepted);
      return refused.map((update) => update.instanceId);
    });
  }

  /** Reserves ids for a create; answers those that were free (the rest exist here already). */
  async reserve(
    config: SegmentConfig,
    rows: Reservation[],
    size: number,
  ): Promise<WriteOutcome & { reserved: string[] }> {
    let reserved: string[] = [];
    const outcome = await this.#transaction(config, size, (endsOn) => {
      const [accepted, refused] = partition(rows, (row) => endsOn === null || row.createdOn.getTime() < endsOn);
      reserved = accepted
        .flatMap((row) =>
          this.#db
            .insert(instances)
            .values({ ...row, revision: 0 })
            .onConflictDoNothing()
            .returning({ id: instances.id })
            .all(),
        )
        .map((row) => row.id);
      return refused.map((row) => row.id);
    });
    return { ...outcome, reserved };
  }

  /**
   * Drops rows so their ids can be used again; with `reservedAt`, only reservations a create
   * made at that moment that no journal has written since.
   */
  async release(ids: string[], reservedAt?: number): Promise<void> {
    if (ids.length === 0) return;
    this.#db
      .delete(instances)
      .where(
        and(
          inArray(instances.id, ids),
          reservedAt === undefined ? undefined : eq(instances.createdOn, new Date(reservedAt)),
          reservedAt === undefined ? undefined : eq(instances.revision, 0),
        ),
      )
      .run();
  }

  /** The row of one instance, if this segment holds it. */
  async get(id: string): Promise<InstanceRow | null> {
    return this.#db.select().from(instances).where(eq(instances.id, id)).get() ?? null;
  }

  /** Sets an instance's labels (triggers move its label index and counts); the row after, if any. */
  async setLabels(id: string, labels: Labels | null): Promise<InstanceRow | null> {
    return this.#db.update(instances).set({ labels }).where(eq(instances.id, id)).returning().get() ?? null;
  }

  /** Sets and removes some of an instance's labels at once; null when absent or refused (too many). */
  async changeLabels(id: string, change: LabelsChange): Promise<{ labels: Labels | null } | null> {
    return changeLabels(this.#db, id, change);
  }

  // -------------------------------------------------------------------------------------------
  // Lists and counts (./reads/)
  // -------------------------------------------------------------------------------------------

  /** Live instances per status (less those past their retention), and the newest creation time. */
  async statusCounts(now: number): Promise<StatusCounts> {
    return statusCounts(this.#db, now);
  }

  /** This segment's part of a list page, from where the walk stands (`./reads/list.ts`). */
  async list(query: SegmentListQuery): Promise<SegmentPage> {
    return listSegment(this.#db, query);
  }

  /** This segment's share of a list's `total_count` as of `now`. */
  async total(filter: InstanceFilter, now: number): Promise<SegmentTotal> {
    return segmentTotal(this.#db, walkOf(filter, now), filter, now);
  }

  /** This segment's grouped counts as of `now` (`./reads/counts.ts`). */
  async counts(query: CountsQuery, now: number): Promise<SegmentCounts> {
    return countSegment(this.#db, query, now);
  }

  // -------------------------------------------------------------------------------------------
  // Metrics (./reads/metrics.ts)
  // -------------------------------------------------------------------------------------------

  /** Event counts and duration histograms per bucket and series of a window. */
  async eventSums(window: BucketWindow, series: SeriesOf): Promise<EventSums[]> {
    return readEventSums(this.#db, window, series);
  }

  /** Step attempts per step and bucket of a window. */
  async stepSums(window: BucketWindow): Promise<StepSums[]> {
    return readStepSums(this.#db, window);
  }

  /** Every error group of the hours in [from, to). */
  async errorSums(from: number, to: number): Promise<ErrorSums[]> {
    return readErrorSums(this.#db, from, to);
  }

  /** The hour buckets in a range (all without one) as one. */
  async eventTotals(range: { from: number; to: number } | null): Promise<EventTotals> {
    return readEventTotals(this.#db, range);
  }

  /** Instances per status now, less those past their retention. */
  async liveStatusCounts(now: number): Promise<{ status: InstanceStatus; count: number }[]> {
    return readLiveStatusCounts(this.#db, now);
  }

  /** Deletes metric buckets past their retention, at most `limit` of each kind; answers how many. */
  async expireMetrics(now: number, limit: number): Promise<number> {
    return expireMetricBuckets(this.#db, now, limit);
  }

  /** Every metric row, for another segment to absorb before this one is dropped. */
  async exportMetrics(): Promise<MetricRows> {
    return exportMetricRows(this.#db);
  }

  /** Adds another segment's metric rows into this one's, merging counts and histograms. */
  async absorbMetrics(rows: MetricRows): Promise<void> {
    absorbMetricRows(this.#db, rows);
  }

  // -------------------------------------------------------------------------------------------
  // Bulk selections, expiry and the sweep (./maintenance.ts)
  // -------------------------------------------------------------------------------------------

  /** A page of a bulk job's targets in this segment, in creation order after `after`. */
  async select(
    filter: SegmentFilter,
    after: SelectionCursor | null,
    limit: number,
    now: number,
  ): Promise<SelectedInstance[]> {
    return selectInstances(this.#db, filter, after, limit, now);
  }

  /** The segment's next unfinished instances after `after`, in creation order: the sweeper's round. */
  async unfinished(after: SelectionCursor | null, limit: number): Promise<SelectionCursor[]> {
    return unfinishedInstances(this.#db, after, limit);
  }

  /** The statuses of those of `ids` this segment holds. */
  async statuses(ids: string[]): Promise<{ id: string; status: InstanceStatus }[]> {
    return statusesOf(this.#db, ids);
  }

  /** Instances past their retention at `now`, earliest first, for the expiry pass to forget in the engine. */
  async due(now: number, limit: number): Promise<DueInstance[]> {
    return dueInstances(this.#db, now, limit);
  }

  /**
   * Removes those of `ids` still past their retention; answers what went, and whether the
   * segment is now full and empty, so retention can drop it as a whole.
   */
  async expire(ids: string[], now: number): Promise<{ expired: string[]; drainable: boolean }> {
    const expired = expireInstances(this.#db, ids, now);
    return { expired, drainable: this.#drained() };
  }

  /** Removes up to `limit` rows of a deleted workflow; answers their ids (their journals go next). */
  async purge(limit: number): Promise<string[]> {
    return purgeInstances(this.#db, limit);
  }

  /** Whether the segment is full and holds no row: what retention may drop as a whole. */
  async drainable(): Promise<boolean> {
    return this.#drained();
  }

  /**
   * Erases the segment's storage, tables and all (with `ifDrained`, only while it is full and
   * holds no row, so a write that arrived since keeps it). The object may live on a while in
   * this isolate, so its empty schema is laid again for any request that still reaches it.
   */
  async drop({ ifDrained }: { ifDrained: boolean }): Promise<boolean> {
    if (ifDrained && !this.#drained()) return false;
    await this.ctx.storage.deleteAll();
    this.#storedConfig = undefined;
    await migrateSegmentDb(this.#db);
    return true;
  }

  async stats(): Promise<SegmentStats> {
    return {
      instances: this.#size(),
      bytes: this.ctx.storage.sql.databaseSize,
      endsOn: this.#endsOn(),
    };
  }

  /**
   * Runs a write with the writer's config in place, in one transaction; ends the segment once it
   * holds `size` instances, at the creation time just past its newest, so rows created before
   * that still come here and newer ones go to the next segment.
   */
  #transaction(config: SegmentConfig, size: number, write: (endsOn: number | null) => string[]): WriteOutcome {
    // Writers send the same config almost every time: it is stored again only when it changed.
    const configKey = JSON.stringify(config);
    const outcome = this.#db.transaction(() => {
      const current = this.#endsOn();
      if (configKey !== this.#storedConfig) {
        this.#db
          .insert(indexConfig)
          .values({ id: 1, ...config, endsOn: current })
          .onConflictDoUpdate({ target: indexConfig.id, set: { ...config } })
          .run();
      }
      const refused = write(current);
      if (current === null && this.#size() >= size) {
        const newest = this.#db
          .select({ value: max(instances.createdOn) })
          .from(instances)
          .get()?.value;
        const endsOn = (newest?.getTime() ?? Date.now()) + 1;
        this.#db.update(indexConfig).set({ endsOn }).where(eq(indexConfig.id, 1)).run();
        return { refused, endsOn };
      }
      return { refused, endsOn: current };
    });
    this.#storedConfig = configKey;
    return outcome;
  }

  #holds(id: string): boolean {
    return this.#db.select({ id: instances.id }).from(instances).where(eq(instances.id, id)).get() !== undefined;
  }

  #drained(): boolean {
    return this.#endsOn() !== null && rowCount(this.#db) === 0;
  }

  #endsOn(): number | null {
    return this.#db.select({ endsOn: indexConfig.endsOn }).from(indexConfig).get()?.endsOn ?? null;
  }

  #size(): number {
    const total = this.#db
      .select({ value: sum(instanceStatusCounts.count) })
      .from(instanceStatusCounts)
      .get()?.value;
    return Number(total ?? 0);
  }
}

function partition<T>(items: readonly T[], keep: (item: T) => boolean): [T[], T[]] {
  const kept: T[] = [];
  const left: T[] = [];
  for (const item of items) (keep(item) ? kept : left).push(item);
  return [kept, left];
}
