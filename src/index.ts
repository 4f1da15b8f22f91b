/**
 * Workflow control plane: Cloudflare's v4 Workflows REST API, served by a Worker deployed next
 * to the Workflows it manages.
 */
import { createApp } from "./app";
import { createDeps } from "./services/deps";
import { consumeLifecycleMessages } from "./services/instances/lifecycle-messages";

export { BulkJob } from "./durable-objects/bulk-job";
export { IndexWriter } from "./durable-objects/index-writer";
export { InstanceJournal } from "./durable-objects/instance-journal";
export { InstanceSweeper } from "./durable-objects/instance-sweeper";
export { ControlPlane } from "./rpc/control-plane";
export { MirrorSync } from "./rpc/mirror-sync";
export { HelloWorldWorkflow } from "./workflows/hello-world";
export { OrderApprovalWorkflow } from "./workflows/order-approval";

const app = createApp();

export default {
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
