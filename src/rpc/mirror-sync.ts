import { WorkerEntrypoint } from "cloudflare:workers";
import type { MirrorTarget } from "../domain/journal";
import { createDeps } from "../services/deps";
import { syncInstance } from "../services/instances/mirror";
import { type SweepPosition, type SweepResult, sweepUnfinished } from "../services/instances/sweep";

/** Unfinished instances one sweep syncs, and at once. */
export const SWEEP_BATCH = 500;
const SWEEP_CONCURRENCY = 16;

/**
 * Where Durable Objects have the engine read for them: each call is a stateless invocation,
 * whose end clears the read it leaves waiting on a quiet stream (see `syncInstance`). Reached
 * through `ctx.exports.MirrorSync` by the journals' alarms and the sweeper; not part of the API.
 */
export class MirrorSync extends WorkerEntrypoint<Env> {
  /** Brings one instance's journal and index up to date (an alarm's deferred sync). */
  async sync(target: MirrorTarget): Promise<void> {
    await syncInstance(createDeps(this.env, this.ctx), target);
  }

  /** One sweep: syncs the next batch of unfinished instances of the round after `after`. */
  async sweep(after: SweepPosition | null): Promise<SweepResult> {
    return sweepUnfinished(createDeps(this.env, this.ctx), after, {
      limit: SWEEP_BATCH,
      concurrency: SWEEP_CONCURRENCY,
    });
  }
}
