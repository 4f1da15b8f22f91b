import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, it } from "vitest";
import { indexSegments, workflowVersions } from "../../src/db/schema";
import { readAddress } from "../../src/index/directory";
import { createDeps } from "../../src/services/deps";
import { PURGE_BATCH, purgeDeletedWorkflows } from "../../src/services/retention/purge";
import { api, counts, errorOf, putWorkflow, uniqueId } from "../helpers/api";
import { indexedCount, seedIndex } from "../helpers/segments";

const deps = createDeps(env);

describe("deleting a workflow", () => {
  it("answers at once, frees the name, and purges what it owned in bounded steps", async ({ expect }) => {
    const name = uniqueId("doomed");
    const old = await putWorkflow(name);
    const now = Date.now();
    const rows = Array.from({ length: 1_200 }, (_, index) => ({
      id: `i-${index}`,
      status: "complete" as const,
      createdOn: now,
      endedOn: now,
    }));
    await seedIndex(deps, name, rows, { batch: 400 });

    expect((await api("DELETE", `/workflows/${name}`)).status).toBe(200);
    expect(errorOf(await api("GET", `/workflows/${name}`))).toMatchObject({ status: 404, code: 10200 });
    expect(errorOf(await api("GET", `/workflows/${name}/instances`))).toMatchObject({ status: 404, code: 10200 });
    const listed = await api<{ name: string }[]>("GET", `/workflows?search=${name}`);
    expect(listed.body.result).toEqual([]);
    expect(await indexedCount(deps, old.id)).toBe(1_200);
    const segments = (await readAddress(deps.db, { id: old.id, jurisdiction: null })).segments.length;

    // Defined again at once, as a new workflow with nothing in it.
    const again = await putWorkflow(name);
    expect(again.id).not.toBe(old.id);
    expect(Object.values(await counts(name)).every((n) => n === 0)).toBe(true);

    const steps = [];
    for (;;) {
      const step = await purgeDeletedWorkflows(deps);
      steps.push(step);
      expect(step.instances).toBeLessThanOrEqual(PURGE_BATCH);
      if (step.workflowsRemoved > 0 || step.instances + step.segmentsDropped + step.bulkJobs === 0) break;
    }
    // Each step removes at most a batch from the oldest segment and drops it once empty; the
    // step after the last segment removes the row.
    const shape = steps.map((step) => [step.instances, step.segmentsDropped, step.workflowsRemoved]);
    expect(shape.reduce((sum, [instances = 0]) => sum + instances, 0)).toBe(1_200);
    expect(shape.reduce((sum, [, dropped = 0]) => sum + dropped, 0)).toBe(segments);
    expect(shape.at(-1)).toEqual([0, 0, 1]);
    if (segments === 1) {
      expect(shape).toEqual([
        [500, 0, 0],
        [500, 0, 0],
        [200, 1, 0],
        [0, 0, 1],
      ]);
    }
    expect(await indexedCount(deps, old.id)).toBe(0);
    expect(await deps.db.select().from(indexSegments).where(eq(indexSegments.workflowId, old.id))).toEqual([]);
    expect(await deps.db.select().from(workflowVersions).where(eq(workflowVersions.workflowId, old.id))).toEqual([]);
    expect((await api<{ id: string }>("GET", `/workflows/${name}`)).body.result.id).toBe(again.id);
  });

  it("refuses to delete a workflow twice", async ({ expect }) => {
    const name = uniqueId("twice");
    await putWorkflow(name);
    expect((await api("DELETE", `/workflows/${name}`)).status).toBe(200);
    expect(errorOf(await api("DELETE", `/workflows/${name}`))).toMatchObject({ status: 404, code: 10200 });
  });
});
