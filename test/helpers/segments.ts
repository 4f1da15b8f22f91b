import { runInDurableObject } from "cloudflare:test";
import { workflows, workflowVersions } from "../../src/db/schema";
import type { InstanceStatus } from "../../src/domain/instance-status";
import type { IndexAddress } from "../../src/index/config";
import { readAddress, readTargets } from "../../src/index/directory";
import type { Reservation } from "../../src/index/segment";
import {
  acrossSegments,
  findInIndex,
  type IndexAccess,
  reserveInIndex,
  writeToIndex,
} from "../../src/index/workflow-index";
import type { Deps } from "../../src/services/deps";

/** The same deps with segments of `size` instances, so a few rows span several segments. */
export function withSegmentSize(deps: Deps, size: number): Deps {
  const index: IndexAccess = { segment: (address, seq) => deps.index.segment(address, seq), segmentSize: size };
  return { ...deps, index };
}

export type SeedRow = {
  id: string;
  status: InstanceStatus;
  createdOn: number;
  endedOn?: number;
  retention?: { success_retention?: number; error_retention?: number };
  labels?: Record<string, string>;
};

/**
 * Writes index rows of a workflow through the index client as creates and journals would: a row
 * with its own retention is reserved first (as a create through this API gives it), then every
 * row gets its journal's first summary (a row without a reservation takes its version's
 * retention, as one created straight through the binding). `batch` rows go at a time, in
 * creation order: 1 makes each land in the segment of its creation time, a full one opening the next.
 */
export async function seedIndex(
  deps: Deps,
  workflowName: string,
  rows: SeedRow[],
  { batch = 1 }: { batch?: number } = {},
): Promise<void> {
  const sorted = [...rows].sort((a, b) => a.createdOn - b.createdOn);
  for (let start = 0; start < sorted.length; start += batch) {
    const part = sorted.slice(start, start + batch);
    const target = (await readTargets(deps.db, [workflowName])).get(workflowName);
    if (!target) throw new Error(`no workflow ${workflowName}`);
    const reservations: Reservation[] = part
      .filter((row) => row.retention !== undefined || row.labels !== undefined)
      .map((row) => ({
        id: row.id,
        versionId: target.config.versionId,
        status: "queued",
        triggerSource: "api",
        params: null,
        createdOn: new Date(row.createdOn),
        startedOn: null,
        endedOn: null,
        modifiedOn: new Date(row.createdOn),
        retention: row.retention ?? null,
        labels: row.labels ?? null,
      }));
    if (reservations.length > 0) await reserveInIndex(deps.db, deps.index, target, reservations);
    await writeToIndex(
      deps.db,
      deps.index,
      part.map((row) => ({
        workflowName,
        instanceId: row.id,
        revision: 1,
        status: row.status,
        startedOn: row.createdOn,
        endedOn: row.endedOn ?? null,
        errorName: null,
        errorShape: null,
        at: row.endedOn ?? row.createdOn,
        createdOn: row.createdOn,
        triggerSource: "api" as const,
        params: null,
      })),
    );
  }
}

/** An instance's index row wherever it is among the workflow's segments, or undefined. */
export async function indexRow(deps: Deps, workflowId: string, id: string) {
  const address = await readAddress(deps.db, { id: workflowId, jurisdiction: null });
  return (await findInIndex(deps.index, address, id))?.row;
}

/** How many rows a workflow's index holds, expired or not, over its live segments. */
export async function indexedCount(deps: Deps, workflowId: string): Promise<number> {
  const address = await readAddress(deps.db, { id: workflowId, jurisdiction: null });
  const stats = await acrossSegments(deps.index, address, (segment) => segment.stats());
  return stats.reduce((sum, each) => sum + each.instances, 0);
}

/** A workflow's definition rows in D1, straight (no engine behind it): what its index needs. */
export async function defineIndexedWorkflow(deps: Deps, name: string): Promise<{ id: string; versionId: string }> {
  const id = crypto.randomUUID();
  const versionId = crypto.randomUUID();
  const now = new Date();
  await deps.db.batch([
    deps.db
      .insert(workflows)
      .values({ id, name, className: "S", scriptName: "s", versionId, createdOn: now, modifiedOn: now }),
    deps.db
      .insert(workflowVersions)
      .values({ id: versionId, workflowId: id, className: "S", scriptName: "s", createdOn: now }),
  ]);
  return { id, versionId };
}

/** The address of a workflow's index, as D1's directory has it now. */
export async function addressOf(deps: Deps, name: string): Promise<IndexAddress> {
  const target = (await readTargets(deps.db, [name])).get(name);
  if (!target) throw new Error(`no workflow ${name}`);
  return target.address;
}

/** Runs SQL in each live segment of a workflow's index; answers the rows of all, oldest segment first. */
export async function inEachSegment<Row extends Record<string, SqlStorageValue>>(
  deps: Deps,
  name: string,
  query: string,
): Promise<Row[]> {
  const address = await addressOf(deps, name);
  const rows: Row[] = [];
  for (const { seq } of address.segments) {
    const stub = deps.index.segment(address, seq);
    rows.push(...(await runInDurableObject(stub, (_, state) => state.storage.sql.exec<Row>(query).toArray())));
  }
  return rows;
}
