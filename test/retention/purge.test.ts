import { env } from "cloudflare:workers";
import { count, eq } from "drizzle-orm";
import { describe, it } from "vitest";
import { batchAll, chunk, rowsPerInsert } from "../../src/db/client";
import { instances, workflowVersions } from "../../src/db/schema";
import { createDeps } from "../../src/services/deps";
import { PURGE_BATCH, purgeDeletedWorkflows } from "../../src/services/retention/purge";
import { api, counts, errorOf, putWorkflow, uniqueId } from "../helpers/api";

const deps = createDeps(env);

async function rowsOf(workflowId: string): Promise<number> {
  const [row] = await deps.db.select({ n: count() }).from(instances).where(eq(instances.workflowId, workflowId));
  return row?.n ?? 0;
}

describe("deleting a workflow", () => {
  it("answers at once, frees the name, and purges what it owned in bounded steps", async ({ expect }) => {
    const name = uniqueId("doomed");
    const old = await putWorkflow(name);
    const now = Date.now();
    const rows = Array.from({ length: 1_200 }, (_, index) => ({
      workflowId: old.id,
      id: `i-${index}`,
      versionId: old.version_id,
      status: "complete" as const,
      triggerSource: "api" as const,
      createdOn: new Date(now),
      startedOn: new Date(now),
      endedOn: new Date(now),
      modifiedOn: new Date(now),
    }));
    await batchAll(
      deps.db,
      chunk(rows, rowsPerInsert(instances)).map((part) => deps.db.insert(instances).values(part)),
    );

    expect((await api("DELETE", `/workflows/${name}`)).status).toBe(200);
    expect(errorOf(await api("GET", `/workflows/${name}`))).toMatchObject({ status: 404, code: 10200 });
    expect(errorOf(await api("GET", `/workflows/${name}/instances`))).toMatchObject({ status: 404, code: 10200 });
    const listed = await api<{ name: string }[]>("GET", `/workflows?search=${name}`);
    expect(listed.body.result).toEqual([]);
    expect(await rowsOf(old.id)).toBe(1_200);

    // Defined again at once, as a new workflow with nothing in it.
    const again = await putWorkflow(name);
    expect(again.id).not.toBe(old.id);
    expect(Object.values(await counts(name)).every((n) => n === 0)).toBe(true);

    const steps = [];
    for (;;) {
      const step = await purgeDeletedWorkflows(deps);
      steps.push(step);
      expect(step.instances).toBeLessThanOrEqual(PURGE_BATCH);
      if (step.workflowsRemoved > 0 || step.instances + step.bulkJobs === 0) break;
    }
    expect(steps.map((step) => step.instances)).toEqual([500, 500, 200]);
    expect(await rowsOf(old.id)).toBe(0);
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
