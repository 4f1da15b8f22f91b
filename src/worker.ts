/**
 * The control plane as a package: a deployment's entry module hands it the binding table its
 * wrangler config generates, and re-exports its classes by name (`wrangler types` types a Durable
 * Object binding only from a named export; `workflow-control-plane check` names a missing one):
 *
 *   import { defineControlPlane } from "workflow-control-plane";
 *   import { deployedWorkflows } from "./generated/workflow-bindings";
 *
 *   export { BulkJob, ControlPlane, IndexSegment, IndexWriter, InstanceJournal, InstanceSweeper, MirrorSync } from "workflow-control-plane";
 *   export default defineControlPlane({ workflows: deployedWorkflows });
 */
import { createApp } from "./app";
import type { DeployedWorkflow } from "./domain/deployed-workflow";
import { createDeps } from "./services/deps";
import { declareWorkflows } from "./services/engines";
import { consumeLifecycleMessages } from "./services/instances/lifecycle-messages";

export type { DeployedWorkflow } from "./domain/deployed-workflow";
export { InstanceJournal } from "./index/journal/instance-journal";
export { IndexSegment } from "./index/segment";
export { InstanceSweeper } from "./index/sweeper";
export { IndexWriter } from "./index/writer";
export { ControlPlane } from "./rpc/control-plane";
export { MirrorSync } from "./rpc/mirror-sync";
export { BulkJob } from "./services/bulk/bulk-job";

export type ControlPlaneOptions = {
  /** The Workflows of the deployment's wrangler config: its generated `deployedWorkflows`. */
  readonly workflows: readonly DeployedWorkflow[];
};

/** The Worker's handlers: the REST API and dashboard, Event Subscriptions' queue, the sweeper's watchdog. */
export function defineControlPlane({ workflows }: ControlPlaneOptions) {
  declareWorkflows(workflows);
  const app = createApp();
  return {
    fetch: app.fetch,
    /** Event Subscriptions: Cloudflare's lifecycle messages of the Workflows this deployment binds. */
    async queue(batch, env, ctx) {
      await consumeLifecycleMessages(createDeps(env, ctx), batch);
    },
    /** A watchdog: the sweeper runs from its own alarm; this starts it if it ever stopped. */
    async scheduled(_controller, env, ctx) {
      await createDeps(env, ctx).sweeper().start();
    },
  } satisfies ExportedHandler<Env>;
}
