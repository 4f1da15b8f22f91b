import type { Deps } from "../deps";
import { dropDrainedSegments, EXPIRY_BATCH, expireInstances } from "./expiry";
import { expireOwnRecords, type OwnRecordsPass } from "./own-records";
import { purgeDeletedWorkflows } from "./purge";

/** How long one pass keeps expiring batches before it leaves the rest to the next. */
const PASS_BUDGET_MS = 20_000;

export type RetentionPass = OwnRecordsPass & {
  /** Instances removed past their retention. */
  instances: number;
  /** Index segments dropped as wholes: emptied by expiry, or of deleted workflows. */
  segmentsDropped: number;
  /** Index rows of deleted workflows removed. */
  purged: number;
  caughtUp: boolean;
};

/**
 * What the sweeper runs after each sweep: expired instances a batch at a time while the budget
 * lasts (so no pass runs unbounded), then, once caught up, the segments left full and empty as
 * wholes, then what deleted workflows owned, step by step while the budget lasts, then one batch of the
 * control plane's own records past their retention.
 */
export async function retentionPass(
  deps: Deps,
  { now = Date.now(), budgetMs = PASS_BUDGET_MS }: { now?: number; budgetMs?: number } = {},
): Promise<RetentionPass> {
  const started = Date.now();
  let instances = 0;
  let caughtUp = false;
  while (!caughtUp && Date.now() - started < budgetMs) {
    const expired = await expireInstances(deps, { now, limit: EXPIRY_BATCH });
    instances += expired.length;
    caughtUp = expired.length < EXPIRY_BATCH;
  }
  let segmentsDropped = caughtUp ? await dropDrainedSegments(deps) : 0;
  let purged = 0;
  let purging = caughtUp;
  while (purging && Date.now() - started < budgetMs) {
    const step = await purgeDeletedWorkflows(deps);
    purged += step.instances;
    segmentsDropped += step.segmentsDropped;
    purging = step.instances + step.segmentsDropped + step.bulkJobs + step.workflowsRemoved > 0;
  }
  return { instances, segmentsDropped, purged, caughtUp, ...(await expireOwnRecords(deps, now)) };
}
