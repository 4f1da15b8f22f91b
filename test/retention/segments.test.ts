import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, it } from "vitest";
import { indexSegments, workflows } from "../../src/db/schema";
import type { DeployedWorkflow } from "../../src/domain/deployed-workflow";
import type { InstanceStatus } from "../../src/domain/instance-status";
import type { IndexAddress } from "../../src/index/config";
import { readAddress } from "../../src/index/directory";
import type { MetricRows } from "../../src/index/reads/metrics";
import { indexedStatuses } from "../../src/services/bulk/apply";
import { matching } from "../../src/services/bulk/jobs";
import { createDeps, type Deps } from "../../src/services/deps";
import { nextUnfinished, type SweepEntry, type SweepPosition } from "../../src/services/instances/sweep";
import { dropDrainedSegments, expireInstances } from "../../src/services/retention/expiry";
import { purgeDeletedWorkflows } from "../../src/services/retention/purge";
import { uniqueId } from "../helpers/api";
import { defineIndexedWorkflow, type SeedRow, seedIndex, withSegmentSize } from "../helpers/segments";

const deps = withSegmentSize(createDeps(env), 3);

/** A deployed workflow's binding facts, to stand in for one bound to a name of the test's. */
function anyDeployed(): DeployedWorkflow {
  const [first] = deps.engines.deployed;
  if (!first) throw new Error("the test worker binds no workflow");
  return first;
}

/** Every id a bulk filter would freeze, in the order the job would take them. */
async function targets(
  workflow: { id: string; jurisdiction: null },
  status?: InstanceStatus[],
  labels?: string,
): Promise<string[]> {
  const ids: string[] = [];
  const filter = { ...(status ? { status } : {}), ...(labels ? { labels } : {}) };
  for await (const rows of matching(deps, workflow, filter, new Date(Date.now() + 60_000))) {
    ids.push(...rows.map((row) => row.id));
  }
  return ids;
}

/** Sums of the instance metrics over a workflow's live segments: what a metrics read adds up. */
async function metricTotals(index: Deps["index"], address: IndexAddress) {
  const totals = { created: 0, started: 0, completed: 0, errored: 0, terminated: 0 };
  for (const ref of address.segments) {
    const rows: MetricRows = await index.segment(address, ref.seq).exportMetrics();
    for (const row of rows.instance.filter((bucket) => bucket.bucket === "h")) {
      for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += row[key];
    }
  }
  return totals;
}

describe("retention over segments of 3 instances", () => {
  it("selects bulk targets and sweeps across segments, drops a segment expiry emptied, and purges every segment", async ({
    expect,
  }) => {
    const name = uniqueId("segmented");
    const defined = await defineIndexedWorkflow(deps, name);
    const workflow = { id: defined.id, jurisdiction: null };
    const base = Date.now() - 60_000;
    const short = { success_retention: 600_000 };
    const done = (id: string, at: number): SeedRow => ({
      id,
      status: "complete",
      createdOn: at,
      endedOn: at + 100,
      retention: short,
    });
    const running = (id: string, at: number): SeedRow => ({ id, status: "running", createdOn: at });
    await seedIndex(deps, name, [
      // Segment 0: all finish and expire.
      done("a0", base),
      done("a1", base + 1),
      done("a2", base + 2),
      // Segment 1: one stays running.
      done("b0", base + 10),
      { ...running("b1", base + 11), labels: { team: "x" } },
      done("b2", base + 12),
      // Segment 2, and one in segment 3, the newest.
      running("c0", base + 20),
      running("c1", base + 21),
      running("c2", base + 22),
      { ...running("d0", base + 30), labels: { team: "x" } },
    ]);
    const address = await readAddress(deps.db, workflow);
    expect(address.segments.map((segment) => segment.seq)).toEqual([0, 1, 2, 3]);

    // A bulk job's frozen targets come from every segment, in creation order within a status.
    expect(await targets(workflow, ["running"])).toEqual(["b1", "c0", "c1", "c2", "d0"]);
    // A selector drives one walk of each segment's label index.
    expect(await targets(workflow, undefined, "team=x")).toEqual(["b1", "d0"]);
    expect(await targets(workflow, ["complete"], "team=x")).toEqual([]);
    // Status by status (running comes before complete among the statuses), each across segments.
    expect(await targets(workflow)).toEqual(["b1", "c0", "c1", "c2", "d0", "a0", "a1", "a2", "b0", "b2"]);
    const statuses = await indexedStatuses(deps.index, address, ["a1", "b1", "d0", "nowhere"]);
    expect(Object.fromEntries(statuses)).toEqual({ a1: "complete", b1: "running", d0: "running" });
    // The sweeper's round walks the unfinished ones across segments, a page at a time.
    const sweeping: Deps = { ...deps, engines: { ...deps.engines, deployed: [{ ...anyDeployed(), name }] } };
    const round: string[] = [];
    let position: SweepPosition | null = null;
    for (;;) {
      const page: SweepEntry[] = (await nextUnfinished(sweeping, position, 2)).filter(
        (entry) => entry.workflowId === defined.id,
      );
      round.push(...page.map((entry) => entry.id));
      const last = page.at(-1);
      if (!last || page.length < 2) break;
      position = last;
    }
    expect(round).toEqual(["b1", "c0", "c1", "c2", "d0"]);
    const metricsBefore = await metricTotals(deps.index, address);
    expect(metricsBefore).toMatchObject({ created: 10, completed: 5 });

    // Expiry removes the five finished instances from segments 0 and 1.
    const expired = await expireInstances(deps, { now: base + 700_000, limit: 100 });
    expect(expired.map((gone) => gone.id).sort()).toEqual(["a0", "a1", "a2", "b0", "b2"]);
    expect(await targets(workflow)).toEqual(["b1", "c0", "c1", "c2", "d0"]);

    // Segment 0 is full and empty: dropped as a whole; segment 1 still holds b1.
    expect(await dropDrainedSegments(deps)).toBe(1);
    const [row] = await deps.db.select().from(indexSegments).where(eq(indexSegments.workflowId, defined.id)).limit(1);
    expect(row).toMatchObject({ seq: 0, startsOn: 0 });
    expect(row?.droppedOn).toEqual(expect.any(Number));
    const after = await readAddress(deps.db, workflow);
    expect(after.segments.map((segment) => segment.seq)).toEqual([1, 2, 3]);
    expect(await targets(workflow)).toEqual(["b1", "c0", "c1", "c2", "d0"]);
    expect(await metricTotals(deps.index, after)).toEqual(metricsBefore);
    expect(await dropDrainedSegments(deps)).toBe(0);

    // A deleted workflow's purge drops every live segment, then its row and its directory.
    await deps.db.update(workflows).set({ deletedOn: new Date() }).where(eq(workflows.id, defined.id));
    let dropped = 0;
    let purged = 0;
    for (let step = 0; step < 20; step++) {
      const result = await purgeDeletedWorkflows(deps, 2);
      dropped += result.segmentsDropped;
      purged += result.instances;
      if (result.workflowsRemoved > 0) break;
    }
    expect({ dropped, purged }).toEqual({ dropped: 3, purged: 5 });
    expect(await deps.db.select().from(workflows).where(eq(workflows.id, defined.id))).toEqual([]);
    expect(await deps.db.select().from(indexSegments).where(eq(indexSegments.workflowId, defined.id))).toEqual([]);
    for (const ref of address.segments) {
      expect((await deps.index.segment(address, ref.seq).stats()).instances, `segment ${ref.seq}`).toBe(0);
    }
  });
});
