import type { IndexSegment } from "../../src/index/segment";
import type { IndexAccess, SegmentStub } from "../../src/index/workflow-index";
import { type Fault, InjectedFault } from "./faulty-d1";

/** The segment calls that change rows: the ones a fault can hit. */
const WRITES = new Set<PropertyKey>(["reserve", "release", "write", "setLabels", "changeLabels"]);

type SegmentNamespace = DurableObjectNamespace<IndexSegment>;

export type FaultCount = { writes: () => number; failed: () => boolean };

export type FaultyIndex = FaultCount & { index: IndexAccess };

export type FaultySegments = FaultCount & { namespace: SegmentNamespace };

/**
 * Real index segments, one of whose writes fails: "before" it reaches the segment (nothing
 * happens), or "after" it (the segment committed, and its answer is lost, as when a connection
 * drops between the Worker and the Durable Object).
 */
export function faultyIndex(real: IndexAccess, fault: Fault | null): FaultyIndex {
  const { guard, ...count } = segmentGuard(fault);
  return {
    index: { segmentSize: real.segmentSize, segment: (address, seq) => guard(real.segment(address, seq)) },
    ...count,
  };
}

/**
 * The `INDEX_SEGMENT` namespace, failing as `faultyIndex` does: for code that reaches the
 * segments through its own `env` (a journal, an index writer), given this in place of the binding.
 */
export function faultySegments(real: SegmentNamespace, fault: Fault | null): FaultySegments {
  const { guard, ...count } = segmentGuard(fault);
  const wrap = (namespace: SegmentNamespace): SegmentNamespace =>
    new Proxy(namespace, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          const result: unknown = Reflect.apply(value, target, args);
          if (property === "jurisdiction") return wrap(result as SegmentNamespace);
          if (property === "get" || property === "getByName") return guard(result as SegmentStub);
          return result;
        };
      },
    });
  return { namespace: wrap(real), ...count };
}

/** Wraps segment stubs so that the `fault.write`-th write through any of them fails. */
function segmentGuard(fault: Fault | null): FaultCount & { guard: (stub: SegmentStub) => SegmentStub } {
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
  return { guard, writes: () => writes, failed: () => failed };
}
