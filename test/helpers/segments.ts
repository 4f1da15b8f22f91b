import { workflows, workflowVersions } from "../../src/db/schema";
import type { InstanceStatus } from "../../src/domain/instance-status";
import type { Reservation } from "../../src/index/segment";
import { type IndexAccess, readTargets, reserveInIndex, writeToIndex } from "../../src/index/workflow-index";
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
 * Writes index rows of a workflow through the index client, one at a time in creation order, as
 * a create and then its journal would (a reservation, then a first summary): each lands in the
 * segment of its creation time, and a full segment opens the next.
 */
export async function seedIndex(deps: Deps, workflowName: string, rows: SeedRow[]): Promise<void> {
  for (const row of [...rows].sort((a, b) => a.createdOn - b.createdOn)) {
    const target = (await readTargets(deps.db, [workflowName])).get(workflowName);
    if (!target) throw new Error(`no workflow ${workflowName}`);
    const reservation: Reservation = {
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
    };
    await reserveInIndex(deps.db, deps.index, target, [reservation]);
    // The journal's first summary: what the metrics count the instance's creation (and end) from.
    await writeToIndex(deps.db, deps.index, [
      {
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
        triggerSource: "api",
        params: null,
      },
    ]);
  }
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
