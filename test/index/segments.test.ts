import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { workflows, workflowVersions } from "../../src/db/schema";
import { readTargets } from "../../src/index/directory";
import type { SummaryUpdate } from "../../src/index/summaries";
import { createIndexAccess, findInIndex, type IndexAccess, writeToIndex } from "../../src/index/workflow-index";

/** A workflow of its own, defined straight in D1 (no binding needed: only its index is used). */
async function defineWorkflow(name: string): Promise<string> {
  const db = createDb(env.DB);
  const id = crypto.randomUUID();
  const versionId = crypto.randomUUID();
  const now = new Date();
  await db.batch([
    db.insert(workflows).values({
      id,
      name,
      className: "ProbeWorkflow",
      scriptName: "workflow-control-plane",
      versionId,
      createdOn: now,
      modifiedOn: now,
    }),
    db.insert(workflowVersions).values({
      id: versionId,
      workflowId: id,
      className: "ProbeWorkflow",
      scriptName: "workflow-control-plane",
      createdOn: now,
    }),
  ]);
  return id;
}

function summary(workflowName: string, n: number, createdOn: number): SummaryUpdate {
  return {
    workflowName,
    instanceId: `i-${String(n).padStart(3, "0")}`,
    revision: 1,
    status: n % 2 === 0 ? "complete" : "running",
    startedOn: createdOn + 1,
    endedOn: n % 2 === 0 ? createdOn + 5 : null,
    errorName: null,
    errorShape: null,
    at: createdOn + 5,
    createdOn,
    triggerSource: "api",
    params: null,
  };
}

describe("writes into a workflow's index", () => {
  it("fill a segment, then start the next at the creation time past its newest", async () => {
    const name = `segments-${crypto.randomUUID()}`;
    const workflowId = await defineWorkflow(name);
    const index: IndexAccess = { ...createIndexAccess(env), segmentSize: 3 };
    const db = createDb(env.DB);
    const start = Date.UTC(2026, 11, 1);
    // Written one at a time, as journals do: each segment ends once it holds three.
    for (let n = 0; n < 10; n++) await writeToIndex(db, index, [summary(name, n, start + n * 1_000)]);

    const target = (await readTargets(db, [name])).get(name);
    expect(target?.address.segments.map((segment) => segment.seq)).toEqual([0, 1, 2, 3]);
    const stats = await Promise.all(
      (target?.address.segments ?? []).map((segment) =>
        index.segment({ workflowId, jurisdiction: null }, segment.seq).stats(),
      ),
    );
    expect(stats.map((segment) => segment.instances)).toEqual([3, 3, 3, 1]);
    expect(stats.at(-1)?.endsOn).toBeNull();
    // A late write of an old instance goes to the segment of its creation time, not the newest.
    await writeToIndex(db, index, [{ ...summary(name, 0, start), revision: 2, status: "errored" }]);
    const found = await findInIndex(
      index,
      { workflowId, jurisdiction: null, segments: [{ seq: 0, startsOn: 0 }] },
      "i-000",
    );
    expect(found?.row.status).toBe("errored");
  });
});
