import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, type ExpectStatic, it } from "vitest";
import { createDb } from "../../src/db/client";
import { instances } from "../../src/db/schema";
import { createDeps, type Deps } from "../../src/services/deps";
import type { Engine } from "../../src/services/engines";
import { createInstance, createInstanceBatch } from "../../src/services/instances/create";
import { api, uniqueId } from "../helpers/api";
import { countsAndRecount } from "../helpers/counts";
import { type Fault, faultyD1 } from "../helpers/faulty-d1";

const real = createDeps(env);

/** Deps over a D1 that fails `fault`, and optionally an engine whose creates fail. */
function faultyDeps(fault: Fault | null, { engineFails = false } = {}) {
  const d1 = faultyD1(env.DB, fault);
  const failing = (engine: Engine): Engine => ({
    get: (id) => engine.get(id),
    create: async () => {
      throw new Error("engine unavailable (injected)");
    },
    createBatch: (async () => {
      throw new Error("engine unavailable (injected)");
    }) as Engine["createBatch"],
    deleteBatch: (ids) => engine.deleteBatch(ids),
  });
  const deps: Deps = {
    ...real,
    db: createDb(d1.database),
    engines: engineFails
      ? {
          ...real.engines,
          bindingFor: (name) => {
            const bound = real.engines.bindingFor(name);
            return bound && { ...bound, engine: failing(bound.engine) };
          },
        }
      : real.engines,
  };
  return { deps, d1 };
}

async function indexed(workflowId: string, id: string): Promise<boolean> {
  const rows = await real.db
    .select({ id: instances.id })
    .from(instances)
    .where(and(eq(instances.workflowId, workflowId), eq(instances.id, id)));
  return rows.length === 1;
}

async function inEngine(id: string): Promise<boolean> {
  try {
    await (await env.HELLO_WORLD.get(id)).status();
    return true;
  } catch {
    return false;
  }
}

/**
 * What must hold after a create, answered or failed: an instance either is in the index and the
 * engine both, or in neither (and then a retry of the same id succeeds); counts equal a recount.
 */
async function expectWholeOrNothing(expect: ExpectStatic, workflowId: string, id: string, answered: boolean) {
  const [isIndexed, isInEngine] = [await indexed(workflowId, id), await inEngine(id)];
  expect({ isIndexed, isInEngine }).toEqual({ isIndexed: answered, isInEngine: answered });
  if (!answered) {
    await createInstance(real, "hello-world", { instance_id: id });
    expect(await indexed(workflowId, id)).toBe(true);
  }
  for (const [status, maintained, recounted] of await countsAndRecount(workflowId)) {
    expect(maintained, status).toBe(recounted);
  }
}

/** Every write a clean run of `operation` makes, each failed before and after it runs. */
async function faultsOf(operation: (deps: Deps) => Promise<unknown>): Promise<Fault[]> {
  const { deps, d1 } = faultyDeps(null);
  await operation(deps);
  const writes = d1.writes();
  if (writes === 0) throw new Error("the operation made no D1 write to fail");
  return Array.from({ length: writes }, (_, index) => index + 1).flatMap((write) => [
    { write, when: "before" as const },
    { write, when: "after" as const },
  ]);
}

describe("create with D1 failing at each of its writes", () => {
  it("leaves the instance whole or absent, and the id free for a retry", async ({ expect }) => {
    const { id: workflowId } = (await api<{ id: string }>("GET", "/workflows/hello-world")).body.result;
    const faults = await faultsOf((deps) => createInstance(deps, "hello-world", { instance_id: uniqueId("count") }));
    // The engine failing too, so the create must undo its reservation with D1 failing.
    const undoFaults = [
      { write: 2, when: "before" as const },
      { write: 2, when: "after" as const },
    ];
    const cases = [
      ...faults.map((fault) => ({ fault, engineFails: false })),
      ...undoFaults.map((fault) => ({ fault, engineFails: true })),
    ];
    for (const { fault, engineFails } of cases) {
      const id = uniqueId(`single-${fault.when}-${fault.write}`);
      const { deps, d1 } = faultyDeps(fault, { engineFails });
      const answered = await createInstance(deps, "hello-world", { instance_id: id }).then(
        () => true,
        () => false,
      );
      expect(d1.failed(), JSON.stringify(fault)).toBe(true);
      await expectWholeOrNothing(expect, workflowId, id, answered);
    }
  });

  it("leaves a batch's instances whole or absent, and their ids free", async ({ expect }) => {
    const { id: workflowId } = (await api<{ id: string }>("GET", "/workflows/hello-world")).body.result;
    const batchOf = (prefix: string) => [0, 1, 2].map((n) => ({ instance_id: uniqueId(`${prefix}-${n}`) }));
    const faults = await faultsOf((deps) => createInstanceBatch(deps, "hello-world", batchOf("count")));
    for (const fault of faults) {
      const items = batchOf(`batch-${fault.when}-${fault.write}`);
      const { deps, d1 } = faultyDeps(fault);
      const created = await createInstanceBatch(deps, "hello-world", items).then(
        (report) => new Set(report.created.map((instance) => instance.id)),
        () => new Set<string>(),
      );
      expect(d1.failed(), JSON.stringify(fault)).toBe(true);
      for (const { instance_id: id } of items) await expectWholeOrNothing(expect, workflowId, id, created.has(id));
    }
  });
});
