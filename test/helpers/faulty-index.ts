import type { IndexAccess, SegmentStub } from "../../src/index/workflow-index";
import { type Fault, InjectedFault } from "./faulty-d1";

/** The segment calls that change rows: the ones a fault can hit. */
const WRITES = new Set<PropertyKey>(["reserve", "release", "write", "setLabels", "changeLabels"]);

export type FaultyIndex = { index: IndexAccess; writes: () => number; failed: () => boolean };

/**
 * Real index segments, one of whose writes fails: "before" it reaches the segment (nothing
 * happens), or "after" it (the segment committed, and its answer is lost, as when a connection
 * drops between the Worker and the Durable Object).
 */
export function faultyIndex(real: IndexAccess, fault: Fault | null): FaultyIndex {
  let writes = 0;
  let failed = false;
  const guard = (stub: SegmentStub): SegmentStub =>
    new Proxy(stub, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property);
        if (!WRITES.has(property) || typeof value !== "function") return value;
        return async (...args: unknown[]) => {
          writes++;
          const hit = fault !== null && writes === fault.write;
          if (hit && fault.when === "before") {
            failed = true;
            throw new InjectedFault(`injected fault before segment write ${writes}`);
          }
          // Reflect.apply: a stub answers every property name, `apply` included, with an RPC call.
          const result: unknown = await Reflect.apply(value, target, args);
          if (hit) {
            failed = true;
            throw new InjectedFault(`injected fault after segment write ${writes}`);
          }
          return result;
        };
      },
    });
  return {
    index: { segmentSize: real.segmentSize, segment: (address, seq) => guard(real.segment(address, seq)) },
    writes: () => writes,
    failed: () => failed,
  };
}
