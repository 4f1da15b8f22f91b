import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { describe, it } from "vitest";
import { seededRandom } from "../../scripts/lib/random";
import { instanceStatusCounts, instances } from "../../src/db/schema";
import { INSTANCE_STATUSES, type InstanceStatus } from "../../src/domain/instance-status";
import { createDeps } from "../../src/services/deps";
import { release } from "../../src/services/instances/create";
import { type SummaryUpdate, writeSummaries } from "../../src/index/summaries";
import { putWorkflow } from "../../src/services/workflows";
import { uniqueId } from "../helpers/api";

describe("instance_status_counts", () => {
  it.for([1, 2, 3])("equals a full recount after many random transitions (seed %i)", async (seed, { expect }) => {
    const deps = createDeps(env);
    const name = uniqueId("counts");
    const workflow = await putWorkflow(deps, name, { class_name: "C", script_name: "s" });
    const next = seededRandom(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const ids = Array.from({ length: 30 }, (_, index) => `instance-${index}`);
    const revisions = new Map<string, number>();

    const update = (id: string, status: InstanceStatus): SummaryUpdate => {
      // Sometimes a stale revision, as a delayed write would carry: it must change nothing.
      const current = revisions.get(id) ?? 0;
      const revision = next() < 0.2 ? Math.max(0, current - 1) : current + 1;
      revisions.set(id, Math.max(current, revision));
      const now = Date.now();
      return {
        workflowName: name,
        instanceId: id,
        revision,
        status,
        startedOn: now,
        endedOn: null,
        errorName: status === "errored" ? "Error" : null,
        errorShape: status === "errored" ? "boom" : null,
        at: now,
        createdOn: now,
        triggerSource: "api",
        params: null,
      };
    };

    for (let step = 0; step < 300; step++) {
      const roll = next();
      if (roll < 0.1) {
        const id = pick(ids);
        await release(deps.db, workflow.id, [id]);
        revisions.delete(id);
      } else if (roll < 0.3) {
        // Several instances in one D1 batch, some of them twice.
        await writeSummaries(
          deps.db,
          Array.from({ length: 5 }, () => update(pick(ids), pick(INSTANCE_STATUSES))),
        );
      } else {
        await writeSummaries(deps.db, [update(pick(ids), pick(INSTANCE_STATUSES))]);
      }
    }

    const maintained = await deps.db
      .select({ status: instanceStatusCounts.status, count: instanceStatusCounts.count })
      .from(instanceStatusCounts)
      .where(eq(instanceStatusCounts.workflowId, workflow.id));
    const recount = await deps.db
      .select({ status: instances.status, count: sql<number>`count(*)` })
      .from(instances)
      .where(eq(instances.workflowId, workflow.id))
      .groupBy(instances.status);
    const expected = Object.fromEntries(INSTANCE_STATUSES.map((status) => [status, 0]));
    for (const row of recount) expected[row.status] = row.count;
    expect(Object.fromEntries(maintained.map((row) => [row.status, row.count]))).toEqual(expected);
    expect(recount.reduce((sum, row) => sum + row.count, 0)).toBeGreaterThan(0);
  });
});
