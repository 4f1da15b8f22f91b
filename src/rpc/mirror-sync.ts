import { WorkerEntrypoint } from "cloudflare:workers";
import type { MirrorTarget } from "../domain/journal";
import { createDeps } from "../services/deps";
import { syncInstance } from "../services/instances/mirror";
import { type SweepEntry, type SyncedGroup, syncGroup } from "../services/instances/sweep";

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

  /**
   * Syncs these instances all at once (what a bulk job changed); returns how many failed. A
   * failure only delays one: the sweep syncs it again.
   */
  async syncAll(targets: MirrorTarget[]): Promise<number> {
    const deps = createDeps(this.env, this.ctx);
    const results = await Promise.allSettled(targets.map((target) => syncInstance(deps, target)));
    return results.filter((result) => result.status === "rejected").length;
  }

  /** Syncs one group of a sweep. */
  async syncGroup(entries: SweepEntry[]): Promise<SyncedGroup> {
    return syncGroup(createDeps(this.env, this.ctx), entries);
  }
}
