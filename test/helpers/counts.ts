import { env } from "cloudflare:workers";
import { and, eq, sql } from "drizzle-orm";
import { createDb } from "../../src/db/client";
import { instanceStatusCounts, instances } from "../../src/db/schema";

/** A workflow's counts as maintained, beside a recount of its index: `[status, kept, recounted]`. */
export async function countsAndRecount(workflowId: string): Promise<[string, number, number][]> {
  const db = createDb(env.DB);
  const maintained = await db
    .select({ status: instanceStatusCounts.status, count: instanceStatusCounts.count })
    .from(instanceStatusCounts)
    .where(eq(instanceStatusCounts.workflowId, workflowId));
  const recount = await db
    .select({ status: instances.status, count: sql<number>`count(*)` })
    .from(instances)
    .where(eq(instances.workflowId, workflowId))
    .groupBy(instances.status);
  const recounted = Object.fromEntries(recount.map((row) => [row.status, row.count]));
  return maintained.map((row) => [row.status, row.count, recounted[row.status] ?? 0]);
}

/** An instance's index status, or undefined when the index has no row for it. */
export async function indexedStatus(workflowId: string, id: string): Promise<string | undefined> {
  const [row] = await createDb(env.DB)
    .select({ status: instances.status })
    .from(instances)
    .where(and(eq(instances.workflowId, workflowId), eq(instances.id, id)));
  return row?.status;
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
