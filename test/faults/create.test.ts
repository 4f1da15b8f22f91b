import { env } from "cloudflare:workers";
import { describe, type ExpectStatic, it } from "vitest";
import { createDeps, type Deps } from "../../src/services/deps";
import type { Engine } from "../../src/services/engines";
import { createInstance, createInstanceBatch } from "../../src/services/instances/create";
import { api, uniqueId } from "../helpers/api";
import { countsAndRecount, indexedStatus } from "../helpers/counts";
import type { Fault } from "../helpers/faulty-d1";
import { faultyIndex } from "../helpers/faulty-index";

const real = createDeps(env);

/**
 * Deps over index segments that fail `fault`, and optionally an engine whose creates fail. A
 * create's only D1 statement is the read of the definition, settings and directory; its writes
 * go to the segments (the reservation, and its release when the engine refuses).
 */
function faultyDeps(fault: Fault | null, { engineFails = false } = {}) {
  const segments = faultyIndex(real.index, fault);
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
    index: segments.index,
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
  return { deps, segments };
}

async function indexed(workflowId: string, id: string): Promise<boolean> {
  return (await indexedStatus(workflowId, id)) !== undefined;
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
  const { deps, segments } = faultyDeps(null);
  await operation(deps);
  const writes = segments.writes();
  if (writes === 0) throw new Error("the operation made no segment write to fail");
  return Array.from({ length: writes }, (_, index) => index + 1).flatMap((write) => [
    { write, when: "before" as const },
    { write, when: "after" as const },
  ]);
}

describe("create with the index failing at each of its writes", () => {
  it("leaves the instance whole or absent, and the id free for a retry", async ({ expect }) => {
    const { id: workflowId } = (await api<{ id: string }>("GET", "/workflows/hello-world")).body.result;
    const faults = await faultsOf((deps) => createInstance(deps, "hello-world", { instance_id: uniqueId("count") }));
    // The engine failing too, so the create must undo its reservation with the segment failing.
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
      const { deps, segments } = faultyDeps(fault, { engineFails });
      const answered = await createInstance(deps, "hello-world", { instance_id: id }).then(
        () => true,
        () => false,
      );
      expect(segments.failed(), JSON.stringify(fault)).toBe(true);
      await expectWholeOrNothing(expect, workflowId, id, answered);
    }
  });

  it("leaves a batch's instances whole or absent, and their ids free", async ({ expect }) => {
    const { id: workflowId } = (await api<{ id: string }>("GET", "/workflows/hello-world")).body.result;
    const batchOf = (prefix: string) => [0, 1, 2].map((n) => ({ instance_id: uniqueId(`${prefix}-${n}`) }));
    const faults = await faultsOf((deps) => createInstanceBatch(deps, "hello-world", batchOf("count")));
    for (const fault of faults) {
      const items = batchOf(`batch-${fault.when}-${fault.write}`);
      const { deps, segments } = faultyDeps(fault);
      const created = await createInstanceBatch(deps, "hello-world", items).then(
        (report) => new Set(report.created.map((instance) => instance.id)),
        () => new Set<string>(),
      );
      expect(segments.failed(), JSON.stringify(fault)).toBe(true);
      for (const { instance_id: id } of items) await expectWholeOrNothing(expect, workflowId, id, created.has(id));
    }
  });
});
