import { eq } from "drizzle-orm";
import { controlPlaneState, workflows, workflowVersions } from "../db/schema";
import { retentionInMs } from "../lib/time";
import { createDeps, type Deps, type DepsContext } from "./deps";
import { putWorkflow } from "./workflows";

const STATE_KEY = "deployed_workflows";

/** Syncs already done (or under way) in this isolate, by database. */
const synced = new WeakMap<D1Database, Promise<void>>();

/** The services' dependencies for a request or an RPC call, once the deployed workflows are defined. */
export async function readyDeps(env: Env, ctx: DepsContext): Promise<Deps> {
  const deps = createDeps(env, ctx);
  await ensureDeployedWorkflows(deps, env.DB);
  return deps;
}

/**
 * Makes sure the workflows this deployment binds exist as definitions, as `wrangler deploy`
 * would by PUT-ing each, and that the sweeper runs (under `wrangler dev` no cron starts it).
 * Runs once per isolate; the definitions change only when the binding config differs from the
 * last one synced, so a workflow deleted through the API stays deleted until its binding changes.
 */
function ensureDeployedWorkflows(deps: Deps, database: D1Database): Promise<void> {
  let sync = synced.get(database);
  if (!sync) {
    sync = syncDeployedWorkflows(deps).then(
      () => deps.defer(deps.sweeper().start()),
      (error: unknown) => {
        synced.delete(database);
        throw error;
      },
    );
    synced.set(database, sync);
  }
  return sync;
}

export async function syncDeployedWorkflows(deps: Deps): Promise<void> {
  const { db, engines } = deps;
  const fingerprint = JSON.stringify(engines.deployed);
  const [state] = await db.select().from(controlPlaneState).where(eq(controlPlaneState.key, STATE_KEY));
  if (state?.value === fingerprint) return;
  for (const deployed of engines.deployed) {
    // The deployment decides class, script and limits, and retention when an export declares
    // one (as `wrangler deploy` sends it); otherwise retention set through the API stays.
    const [current] = await db
      .select({ retention: workflowVersions.defaultRetention })
      .from(workflows)
      .innerJoin(workflowVersions, eq(workflowVersions.id, workflows.versionId))
      .where(eq(workflows.name, deployed.name));
    await putWorkflow(deps, deployed.name, {
      class_name: deployed.className,
      script_name: deployed.scriptName,
      limits: "limits" in deployed ? deployed.limits : undefined,
      default_retention: deployed.defaultRetention
        ? retentionInMs(deployed.defaultRetention)
        : (current?.retention ?? undefined),
    });
  }
  await db
    .insert(controlPlaneState)
    .values({ key: STATE_KEY, value: fingerprint })
    .onConflictDoUpdate({ target: controlPlaneState.key, set: { value: fingerprint } });
}
