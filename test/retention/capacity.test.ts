import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { readTargets } from "../../src/index/directory";
import { reserveInIndex } from "../../src/index/workflow-index";
import { createDeps } from "../../src/services/deps";
import { api, putWorkflow, uniqueId } from "../helpers/api";

type Capacity = { segments: number; instances: number; bytes: number; segment_size: number };

const deps = createDeps(env);

async function capacity(workflow: string): Promise<Capacity> {
  const { status, body } = await api<{ capacity: Capacity }>("GET", `/workflows/${workflow}`);
  if (status !== 200) throw new Error(JSON.stringify(body));
  return body.result.capacity;
}

/** Index rows as creates reserve them, in the workflow's own segments. */
async function reserve(name: string, ids: string[]) {
  const target = (await readTargets(deps.db, [name])).get(name);
  if (!target) throw new Error(`no workflow ${name}`);
  const now = new Date();
  await reserveInIndex(
    deps.db,
    deps.index,
    target,
    ids.map((id) => ({
      id,
      versionId: target.config.versionId,
      status: "queued" as const,
      triggerSource: "api" as const,
      createdOn: now,
      modifiedOn: now,
    })),
  );
}

describe("capacity of the instance index", () => {
  it("is what the workflow's segments hold: none, then each instance", async ({ expect }) => {
    const name = uniqueId("capacity");
    await putWorkflow(name);
    const empty = await capacity(name);
    expect(empty).toMatchObject({ segments: 1, instances: 0, segment_size: deps.index.segmentSize });
    await reserve(name, ["one", "two"]);
    const after = await capacity(name);
    expect(after.instances).toBe(2);
    expect(after.bytes).toBeGreaterThan(0);
    expect(after.segments).toBe(1);
  });
});
