import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { createDb } from "../../src/db/client";
import { workflows } from "../../src/db/schema";
import { readAddress } from "../../src/index/directory";
import { createIndexAccess, findInIndex } from "../../src/index/workflow-index";

/** A workflow's index address, from D1's directory. */
async function addressOf(workflowId: string) {
  const db = createDb(env.DB);
  const [workflow] = await db
    .select({ id: workflows.id, jurisdiction: workflows.jurisdiction })
    .from(workflows)
    .where(eq(workflows.id, workflowId));
  return readAddress(db, workflow ?? { id: workflowId, jurisdiction: null });
}

/**
 * A workflow's counts as maintained, beside a recount of its index: `[status, kept, recounted]`,
 * each summed over the workflow's live segments, read in each segment's own SQLite.
 */
export async function countsAndRecount(workflowId: string): Promise<[string, number, number][]> {
  const index = createIndexAccess(env);
  const address = await addressOf(workflowId);
  const maintained = new Map<string, number>();
  const recounted = new Map<string, number>();
  for (const segment of address.segments) {
    const stub = index.segment(address, segment.seq);
    const [kept, recount] = await runInDurableObject(stub, (_instance, state) => [
      state.storage.sql
        .exec<{ status: string; count: number }>("SELECT status, count FROM instance_status_counts")
        .toArray(),
      state.storage.sql
        .exec<{ status: string; count: number }>("SELECT status, count(*) AS count FROM instances GROUP BY status")
        .toArray(),
    ]);
    for (const row of kept) maintained.set(row.status, (maintained.get(row.status) ?? 0) + row.count);
    for (const row of recount) recounted.set(row.status, (recounted.get(row.status) ?? 0) + row.count);
  }
  return [...maintained].map(([status, count]) => [status, count, recounted.get(status) ?? 0]);
}

/** An instance's index status, or undefined when the index has no row for it. */
export async function indexedStatus(workflowId: string, id: string): Promise<string | undefined> {
  const found = await findInIndex(createIndexAccess(env), await addressOf(workflowId), id);
  return found?.row.status;
}

/** The engine's status of an instance, or null when the engine has no such instance. */
export async function engineStatus(binding: Workflow, id: string): Promise<string | null> {
  try {
    return (await (await binding.get(id)).status()).status;
  } catch (error) {
    if (/not[_ ]found/i.test(String(error))) return null;
    throw error;
  }
}
