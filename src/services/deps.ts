import { createDb, type Db } from "../db/client";
import { createIndexAccess, type IndexAccess } from "../index/workflow-index";
import { createEngines, type Engines } from "./engines";

/** The journal of one instance: its Durable Object, as the Worker's binding types it. */
export type JournalStub = ReturnType<Env["INSTANCE_JOURNAL"]["getByName"]>;

/** The Durable Object running one bulk job. */
export type BulkJobStub = ReturnType<Env["BULK_JOB"]["getByName"]>;

/** The one sweeper of the deployment. */
export type SweeperStub = ReturnType<Env["INSTANCE_SWEEPER"]["getByName"]>;

/** What the services need, built from the Worker's env; REST, RPC, cron and tests pass one in. */
export type Deps = {
  readonly db: Db;
  /** The segments of the workflows' indexes (Durable Objects). */
  readonly index: IndexAccess;
  readonly engines: Engines;
  /** The journal (step log and lifecycle) of one instance. */
  readonly journal: (workflowName: string, instanceId: string) => JournalStub;
  readonly bulkJob: (jobId: string) => BulkJobStub;
  readonly sweeper: () => SweeperStub;
  /**
   * Whether expiry also deletes the engine's instances this API did not create (those it did
   * create always go, at the moment the engine would forget them): where the engine keeps
   * instances forever (`wrangler dev`, Vitest), so local behaves as Cloudflare does. Off when
   * deployed, where the engine forgets them itself (`EXPIRE_IN_ENGINE`).
   */
  readonly expireInEngine: boolean;
  /** Work that may finish after the response (`ctx.waitUntil`); awaited where there is no request. */
  readonly defer: (task: Promise<unknown>) => void;
};

/** What deps take of a Worker's or Durable Object's context: deferral, and the loopback exports. */
export type DepsContext = Pick<ExecutionContext, "waitUntil"> & { readonly exports?: object };

export function createDeps(env: Env, ctx?: DepsContext): Deps {
  return {
    db: createDb(env.DB),
    index: createIndexAccess(env),
    engines: createEngines(env, ctx?.exports),
    journal: (workflowName, instanceId) => journalOf(env, workflowName, instanceId),
    bulkJob: (jobId) => env.BULK_JOB.getByName(jobId),
    sweeper: () => env.INSTANCE_SWEEPER.getByName("sweeper"),
    expireInEngine: env.EXPIRE_IN_ENGINE === "true",
    defer: (task) => (ctx ? ctx.waitUntil(task) : void task.catch(() => undefined)),
  };
}

/** The journal of one instance. Workflow names cannot contain "/", so the name is unambiguous. */
export function journalOf(env: Env, workflowName: string, instanceId: string): JournalStub {
  return env.INSTANCE_JOURNAL.getByName(`${workflowName}/${instanceId}`);
}
