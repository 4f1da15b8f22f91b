import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { seededRandom } from "../../scripts/lib/random";
import { INSTANCE_STATUSES, type InstanceStatus } from "../../src/domain/instance-status";
import { readAddress } from "../../src/index/directory";
import type { SummaryUpdate } from "../../src/index/summaries";
import { releaseFromIndex, writeToIndex } from "../../src/index/workflow-index";
import { createDeps } from "../../src/services/deps";
import { putWorkflow } from "../../src/services/workflows";
import { uniqueId } from "../helpers/api";
import { countsAndRecount } from "../helpers/counts";

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
        const address = await readAddress(deps.db, { id: workflow.id, jurisdiction: null });
        await releaseFromIndex(deps.index, address, [id]);
        revisions.delete(id);
      } else if (roll < 0.3) {
        // Several instances in one write, some of them twice.
        await writeToIndex(
          deps.db,
          deps.index,
          Array.from({ length: 5 }, () => update(pick(ids), pick(INSTANCE_STATUSES))),
        );
      } else {
        await writeToIndex(deps.db, deps.index, [update(pick(ids), pick(INSTANCE_STATUSES))]);
      }
    }

    const counts = await countsAndRecount(workflow.id);
    for (const [status, kept, recounted] of counts) expect(kept, status).toBe(recounted);
    expect(counts.reduce((sum, [, , recounted]) => sum + recounted, 0)).toBeGreaterThan(0);
  });
});
