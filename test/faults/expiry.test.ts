import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { IndexAccess, SegmentStub } from "../../src/index/workflow-index";
import { createDeps, type Deps, type JournalStub } from "../../src/services/deps";
import { expireInstances } from "../../src/services/retention/expiry";
import { uniqueId } from "../helpers/api";
import { defineIndexedWorkflow, indexedCount, indexRow, seedIndex } from "../helpers/segments";

const real = createDeps(env);
const DAY = 86_400_000;

/**
 * The index with its segments' `expire` failing once: before the call reaches the segment, or
 * after the segment has removed the rows (the answer lost on the way back).
 */
function failingOnce(index: IndexAccess, when: "before" | "after"): { index: IndexAccess; failed: () => boolean } {
  let failed = false;
  return {
    failed: () => failed,
    index: {
      segmentSize: index.segmentSize,
      segment: (address, seq) => {
        const stub = index.segment(address, seq);
        return new Proxy(stub, {
          get(target, property) {
            const value = Reflect.get(target, property, target);
            if (property !== "expire" || typeof value !== "function") return value;
            return async (...args: Parameters<SegmentStub["expire"]>) => {
              if (!failed && when === "before") {
                failed = true;
                throw new Error("segment unreachable (simulated)");
              }
              const answer = await target.expire(...args);
              if (!failed) {
                failed = true;
                throw new Error("answer lost (simulated)");
              }
              return answer;
            };
          },
        });
      },
    },
  };
}

describe("expiry with a segment failing at its removal", () => {
  it("removes every expired instance with its journal, once the next pass has run", async ({ expect }) => {
    for (const when of ["before", "after"] as const) {
      // A workflow of its own whose rows expire in 8 days: the sweeper's passes, which run at
      // the real time beside the test, never reach them; the passes here run 30 days ahead.
      const name = uniqueId(`expiring-${when}`);
      const workflow = await defineIndexedWorkflow(real, name);
      const ids = [1, 2, 3].map((n) => `gone-${n}`);
      const ended = Date.now() + DAY;
      await seedIndex(
        real,
        name,
        ids.map((id) => ({ id, status: "complete" as const, createdOn: ended - 1_000, endedOn: ended })),
        { batch: 3 },
      );
      const cleared = new Set<string>();
      const journal = (workflowName: string, id: string) =>
        ({
          clear: async () => {
            cleared.add(`${workflowName}/${id}`);
          },
        }) as unknown as JournalStub;
      const fault = failingOnce(real.index, when);
      const faulty: Deps = { ...real, index: fault.index, journal };
      const now = Date.now() + 30 * DAY;

      await expireInstances(faulty, { now }).catch(() => []);
      expect(fault.failed(), when).toBe(true);
      await expireInstances({ ...real, journal }, { now });

      for (const id of ids) expect(await indexRow(real, workflow.id, id), `${when} ${id}`).toBeUndefined();
      expect(await indexedCount(real, workflow.id), when).toBe(0);
      expect(
        ids.filter((id) => !cleared.has(`${name}/${id}`)),
        when,
      ).toEqual([]);
    }
  });
});
