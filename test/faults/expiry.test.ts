import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, it } from "vitest";
import { createDb } from "../../src/db/client";
import { instances } from "../../src/db/schema";
import { createDeps, type Deps, type JournalStub } from "../../src/services/deps";
import { expireInstances } from "../../src/services/retention/expiry";
import { putWorkflow } from "../../src/services/workflows";
import { uniqueId } from "../helpers/api";
import { countsAndRecount } from "../helpers/counts";
import { faultyD1 } from "../helpers/faulty-d1";

const real = createDeps(env);
const DAY = 86_400_000;

describe("expiry with D1 failing at each of its writes", () => {
  it("removes every expired instance with its journal, once the next pass has run", async ({ expect }) => {
    for (const when of ["before", "after"] as const) {
      // A workflow of its own whose rows expire in 8 days: the sweeper's passes, which run at
      // the real time beside the test, never reach them; the passes here run 30 days ahead.
      const workflow = await putWorkflow(real, uniqueId(`expiring-${when}`), { class_name: "E", script_name: "e" });
      const ids = [1, 2, 3].map((n) => `gone-${n}`);
      const ended = Date.now() + DAY;
      await real.db.insert(instances).values(
        ids.map((id) => ({
          workflowId: workflow.id,
          id,
          versionId: workflow.version_id,
          status: "complete" as const,
          triggerSource: "api" as const,
          createdOn: new Date(ended - 1_000),
          startedOn: new Date(ended - 500),
          endedOn: new Date(ended),
          modifiedOn: new Date(ended),
        })),
      );
      const cleared = new Set<string>();
      const journal = (workflowName: string, id: string) =>
        ({
          clear: async () => {
            cleared.add(`${workflowName}/${id}`);
          },
        }) as unknown as JournalStub;
      const d1 = faultyD1(env.DB, { write: 1, when });
      const faulty: Deps = { ...real, db: createDb(d1.database), journal };
      const now = Date.now() + 30 * DAY;

      await expireInstances(faulty, { now }).catch(() => []);
      expect(d1.failed(), when).toBe(true);
      await expireInstances({ ...real, journal }, { now });

      const left = await real.db.select().from(instances).where(eq(instances.workflowId, workflow.id));
      expect(left, when).toEqual([]);
      expect(
        ids.filter((id) => !cleared.has(`${workflow.name}/${id}`)),
        when,
      ).toEqual([]);
      for (const [status, maintained, recounted] of await countsAndRecount(workflow.id)) {
        expect(maintained, status).toBe(recounted);
      }
    }
  });
});
