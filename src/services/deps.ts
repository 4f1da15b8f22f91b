import { createDb, type Db } from "../db/client";
import type { BulkJob } from "../durable-objects/bulk-job";
import { journalOf } from "../durable-objects/instance-journal";
import { createEngines, type Engines } from "./engines";

/** What the services need, built from the Worker's env; REST, RPC, cron and tests pass one in. */
export type Deps = {
  readonly db: Db;
  readonly engines: Engines;
  /** The journal (step log and lifecycle) of one instance. */
  readonly journal: (workflowName: string, instanceId: string) => ReturnType<typeof journalOf>;
  /** The Durable Object running one bulk job. */
  readonly bulkJob: (jobId: string) => DurableObjectStub<BulkJob>;
  /** Work that may finish after the response (`ctx.waitUntil`); awaited where there is no request. */
  readonly defer: (task: Promise<unknown>) => void;
};

export function createDeps(env: Env, ctx?: Pick<ExecutionContext, "waitUntil">): Deps {
  return {
    db: createDb(env.DB),
    engines: createEngines(env),
    journal: (workflowName, instanceId) => journalOf(env, workflowName, instanceId),
    bulkJob: (jobId) => env.BULK_JOB.getByName(jobId),
    defer: (task) => (ctx ? ctx.waitUntil(task) : void task.catch(() => undefined)),
  };
}
