import { env } from "cloudflare:workers";
import { beforeAll, describe, it } from "vitest";
import { readTargets } from "../../src/index/directory";
import { createIndexAccess, findInIndex } from "../../src/index/workflow-index";
import { ApiError } from "../../src/lib/errors";
import { createDeps, type Deps } from "../../src/services/deps";
import { createInstance, createInstanceBatch } from "../../src/services/instances/create";
import { patchLabels } from "../../src/services/instances/labels";
import { getInstance } from "../../src/services/instances/read";
import { getWorkflow } from "../../src/services/workflows";
import { api, uniqueId } from "../helpers/api";

/** Segments of three instances: the creates below fill several, one after another. */
const deps: Deps = { ...createDeps(env), index: { segment: createIndexAccess(env).segment, segmentSize: 3 } };
const WORKFLOW = "hello-world";

async function address() {
  const target = (await readTargets(deps.db, [WORKFLOW])).get(WORKFLOW);
  if (!target) throw new Error("hello-world is not defined");
  return target.address;
}

describe("creates across segments of three instances", () => {
  // The first request defines the deployment's workflows.
  beforeAll(() => api("GET", `/workflows/${WORKFLOW}`));

  it("reserves each id in the segment of its creation, where reads by id and label changes find it", async ({
    expect,
  }) => {
    const prefix = uniqueId("seg");
    const created: { id: string; labels: Record<string, string> }[] = [];
    for (let n = 0; n < 7; n++) {
      const id = `${prefix}-single-${n}`;
      await createInstance(deps, WORKFLOW, { instance_id: id, labels: { n: String(n) } });
      created.push({ id, labels: { n: String(n) } });
    }
    for (let round = 0; round < 2; round++) {
      const items = [0, 1, 2, 3].map((n) => ({ instance_id: `${prefix}-batch-${round}-${n}`, labels: { b: `${n}` } }));
      const report = await createInstanceBatch(deps, WORKFLOW, items);
      expect(report.errors).toEqual([]);
      for (const item of items) created.push({ id: item.instance_id, labels: item.labels });
    }

    const where = await address();
    const seqs = new Set<number>();
    for (const { id, labels } of created) {
      const found = await findInIndex(deps.index, where, id);
      expect(found, id).toBeDefined();
      if (found) seqs.add(found.seq);
      expect((await getInstance(deps, WORKFLOW, id)).details.labels, id).toEqual(labels);
      expect(await patchLabels(deps, WORKFLOW, id, { set: { patched: "yes" } })).toEqual({
        id,
        labels: { ...labels, patched: "yes" },
      });
      expect((await getInstance(deps, WORKFLOW, id)).details.labels, id).toEqual({ ...labels, patched: "yes" });
    }
    // Exactly one row each, though the journal's creation time (the engine's) comes after the
    // reservation's, maybe past the end of its segment.
    const final = await address();
    for (const { id } of created) {
      const rows = await Promise.all(final.segments.map(({ seq }) => deps.index.segment(final, seq).get(id)));
      expect(
        rows.filter((row) => row !== null),
        id,
      ).toHaveLength(1);
    }
    // Fifteen instances in segments of three (a batch's share may overfill one): several segments.
    expect(seqs.size).toBeGreaterThanOrEqual(3);
    const { capacity } = await getWorkflow(deps, WORKFLOW);
    expect(capacity.segments).toBeGreaterThanOrEqual(3);
    expect(capacity.segment_size).toBe(3);
  });

  it("refuses an id an older segment holds (the engine knows it) and leaves that instance as it was", async ({
    expect,
  }) => {
    const prefix = uniqueId("dup");
    const first = `${prefix}-first`;
    await createInstance(deps, WORKFLOW, { instance_id: first, labels: { kept: "yes" } });
    // Enough creates after it that its segment is no longer the newest.
    for (let n = 0; n < 4; n++) await createInstance(deps, WORKFLOW, { instance_id: `${prefix}-${n}` });
    const where = await address();
    const before = await findInIndex(deps.index, where, first);
    expect(before?.seq).toBeLessThan(where.segments.at(-1)?.seq ?? 0);

    const again = createInstance(deps, WORKFLOW, { instance_id: first });
    await expect(again).rejects.toBeInstanceOf(ApiError);
    await expect(again).rejects.toMatchObject({ kind: "instanceAlreadyExists" });
    const batch = await createInstanceBatch(deps, WORKFLOW, [{ instance_id: first }]);
    expect(batch.created).toEqual([]);
    expect(batch.errors).toMatchObject([{ index: 0, id: first, code: 10405 }]);

    // Only the old row remains: the refused creates' reservations in the newest segment are gone.
    const rows = await Promise.all(
      (await address()).segments.map(async ({ seq }) => deps.index.segment(where, seq).get(first)),
    );
    expect(rows.filter((row) => row !== null)).toHaveLength(1);
    expect((await getInstance(deps, WORKFLOW, first)).details.labels).toEqual({ kept: "yes" });
  });
});
