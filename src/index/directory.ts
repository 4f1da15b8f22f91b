import { and, eq, inArray, isNull, type SQLWrapper } from "drizzle-orm";
import type { Db } from "../db/client";
import { accountSettings, indexSegments, workflows, workflowVersions } from "../db/schema";
import type { Jurisdiction } from "../domain/jurisdiction";
import type { IndexAddress, SegmentConfig, SegmentRef } from "./config";

/**
 * The index directory: D1's `index_segments`, where each workflow's segments start and which of
 * them were dropped. Every reader of an index address comes through here, whichever other rows
 * it reads in the same round trip.
 */

/** A workflow as its address names it. */
export type IndexedBy = { id: string; jurisdiction: Jurisdiction | null };

type SegmentRow = { workflowId: string; seq: number; startsOn: number; droppedOn: number | null };

/** The directory rows of workflows (ids, or a subquery of them), by workflow id, oldest first: one query. */
export function selectSegments(db: Db, workflowIds: string[] | SQLWrapper) {
  return db
    .select({
      workflowId: indexSegments.workflowId,
      seq: indexSegments.seq,
      startsOn: indexSegments.startsOn,
      droppedOn: indexSegments.droppedOn,
    })
    .from(indexSegments)
    .where(inArray(indexSegments.workflowId, workflowIds))
    .orderBy(indexSegments.workflowId, indexSegments.seq);
}

/**
 * A workflow's address from directory rows (any workflow's; its own are picked): segment 0
 * unless dropped (it has no row until then), then each live one.
 */
export function addressOf(workflow: IndexedBy, rows: readonly SegmentRow[]): IndexAddress {
  const own = rows.filter((row) => row.workflowId === workflow.id);
  const segments: SegmentRef[] = own.some((row) => row.seq === 0) ? [] : [{ seq: 0, startsOn: 0 }];
  for (const row of own) if (row.droppedOn === null) segments.push({ seq: row.seq, startsOn: row.startsOn });
  return { workflowId: workflow.id, jurisdiction: workflow.jurisdiction, segments };
}

/** The address of one workflow's index. */
export async function readAddress(db: Db, workflow: IndexedBy): Promise<IndexAddress> {
  return addressOf(workflow, await selectSegments(db, [workflow.id]));
}

/** A workflow's index address by the workflow's name, in one round trip; null when there is no such workflow. */
export async function readAddressByName(db: Db, workflowName: string): Promise<IndexAddress | null> {
  const named = eq(workflows.name, workflowName);
  const [[workflow], rows] = await db.batch([
    db.select({ id: workflows.id, jurisdiction: workflows.jurisdiction }).from(workflows).where(named),
    selectSegments(db, db.select({ id: workflows.id }).from(workflows).where(named)),
  ]);
  return workflow ? addressOf(workflow, rows) : null;
}

/** A workflow's index as a writer needs it: its address and the config its triggers read. */
export type IndexTarget = { address: IndexAddress; config: SegmentConfig };

/** An index target with the definition it was read from (what a create also needs). */
export type WorkflowTarget = IndexTarget & { workflow: typeof workflows.$inferSelect };

/** The index targets of workflows by name (those that exist), in one D1 round trip. */
export async function readTargets(db: Db, workflowNames: string[]): Promise<Map<string, WorkflowTarget>> {
  const ids = db.select({ id: workflows.id }).from(workflows).where(inArray(workflows.name, workflowNames));
  const [definitions, [account], segments] = await db.batch([
    db
      .select({ workflow: workflows, retention: workflowVersions.defaultRetention })
      .from(workflows)
      .innerJoin(workflowVersions, eq(workflowVersions.id, workflows.versionId))
      .where(and(inArray(workflows.name, workflowNames), isNull(workflows.deletedOn))),
    db.select().from(accountSettings).where(eq(accountSettings.id, 1)),
    selectSegments(db, ids),
  ]);
  const accountRetention =
    account && (account.successRetention !== null || account.errorRetention !== null)
      ? {
          ...(account.successRetention === null ? {} : { success_retention: account.successRetention }),
          ...(account.errorRetention === null ? {} : { error_retention: account.errorRetention }),
        }
      : null;
  return new Map(
    definitions.map(({ workflow, retention }) => [
      workflow.name,
      {
        workflow,
        address: addressOf(workflow, segments),
        config: {
          workflowId: workflow.id,
          versionId: workflow.versionId,
          versionRetention: retention ?? null,
          accountRetention,
          labelPaths: workflow.labelPaths,
          metricLabels: workflow.metricLabels,
        },
      },
    ]),
  );
}

/** A workflow as retention walks it: its stored name and the address of its index. */
export type IndexedWorkflow = { id: string; name: string; deletedOn: Date | null; address: IndexAddress };

/** Every workflow (deleted ones too, until purged) with its index's address, in one round trip. */
export async function indexedWorkflows(db: Db): Promise<IndexedWorkflow[]> {
  const [rows, segments] = await db.batch([
    db
      .select({
        id: workflows.id,
        name: workflows.name,
        jurisdiction: workflows.jurisdiction,
        deletedOn: workflows.deletedOn,
      })
      .from(workflows),
    selectSegments(db, db.select({ id: workflows.id }).from(workflows)),
  ]);
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    deletedOn: row.deletedOn,
    address: addressOf(row, segments),
  }));
}

/**
 * Adds the segment that follows a full one to the directory (once, whoever gets there first),
 * and answers the address with it.
 */
export async function openNextSegment(
  db: Db,
  address: IndexAddress,
  full: SegmentRef,
  endsOn: number,
): Promise<IndexAddress> {
  await db
    .insert(indexSegments)
    .values({ workflowId: address.workflowId, seq: full.seq + 1, startsOn: endsOn })
    .onConflictDoNothing();
  return readAddress(db, { id: address.workflowId, jurisdiction: address.jurisdiction });
}

/** Records that a segment was dropped (segment 0 has no row until then). */
export async function markDropped(db: Db, workflowId: string, segment: SegmentRef, now = Date.now()): Promise<void> {
  await db
    .insert(indexSegments)
    .values({ workflowId, seq: segment.seq, startsOn: segment.startsOn, droppedOn: now })
    .onConflictDoUpdate({ target: [indexSegments.workflowId, indexSegments.seq], set: { droppedOn: now } });
}
