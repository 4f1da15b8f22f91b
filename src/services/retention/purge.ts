import { asc, eq, isNotNull } from "drizzle-orm";
import { bulkJobs, workflows } from "../../db/schema";
import { markDropped, readAddress } from "../../index/directory";
import { forEachConcurrently } from "../../lib/concurrency";
import type { Deps } from "../deps";
import { originalName } from "../workflows";
import { JOURNAL_CLEAR_CONCURRENCY } from "./expiry";
import { eraseBulkJobs } from "./own-records";

/** Index rows (and their journals) one purge step removes at most, from one segment. */
export const PURGE_BATCH = 500;

/** Bulk jobs one purge step erases at most. */
const JOB_BATCH = 20;

export type PurgeStep = { instances: number; segmentsDropped: number; bulkJobs: number; workflowsRemoved: number };

/**
 * One bounded step of removing what deleted workflows owned, oldest deletion first: up to
 * `limit` index rows of its oldest live segment and their journals (a segment emptied so is
 * dropped, storage and all, and the directory leaves it out), else up to 20 bulk jobs, else
 * the workflow's row (which takes its versions and its directory with it). Every step is
 * idempotent, so a pass that stops anywhere resumes from what is left.
 */
export async function purgeDeletedWorkflows(deps: Deps, limit = PURGE_BATCH): Promise<PurgeStep> {
  const { db } = deps;
  const step: PurgeStep = { instances: 0, segmentsDropped: 0, bulkJobs: 0, workflowsRemoved: 0 };
  const [workflow] = await db
    .select({ id: workflows.id, name: workflows.name, jurisdiction: workflows.jurisdiction })
    .from(workflows)
    .where(isNotNull(workflows.deletedOn))
    .orderBy(asc(workflows.deletedOn))
    .limit(1);
  if (!workflow) return step;
  const name = originalName(workflow.name);

  const address = await readAddress(db, workflow);
  const oldest = address.segments[0];
  if (oldest) {
    const segment = deps.index.segment(address, oldest.seq);
    const removed = await segment.purge(limit);
    // A journal is a cache of the engine's stream: should the name be defined again and an
    // instance of the same id be mirrored meanwhile, clearing it costs only a re-read.
    await forEachConcurrently(removed, JOURNAL_CLEAR_CONCURRENCY, async (id) => {
      await deps.journal(name, id).clear();
    });
    step.instances = removed.length;
    if (removed.length === limit) return step;
    await segment.drop({ ifDrained: false });
    await markDropped(db, workflow.id, oldest);
    step.segmentsDropped = 1;
    return step;
  }

  const jobs = await db
    .select({ id: bulkJobs.id })
    .from(bulkJobs)
    .where(eq(bulkJobs.workflowId, workflow.id))
    .limit(JOB_BATCH);
  await eraseBulkJobs(
    deps,
    jobs.map((job) => job.id),
  );
  step.bulkJobs = jobs.length;
  if (jobs.length === JOB_BATCH) return step;
  await db.delete(workflows).where(eq(workflows.id, workflow.id));
  step.workflowsRemoved = 1;
  return step;
}
