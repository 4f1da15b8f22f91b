/**
 * Workflow control plane: Cloudflare's v4 Workflows REST API, served by a Worker deployed next
 * to the Workflows it manages.
 */
import { createApp } from "./app";
import { createDeps } from "./services/deps";
import { consumeLifecycleMessages } from "./services/instances/lifecycle-messages";

export { InstanceJournal } from "./index/journal/instance-journal";
export { IndexSegment } from "./index/segment";
export { InstanceSweeper } from "./index/sweeper";
export { IndexWriter } from "./index/writer";
export { ControlPlane } from "./rpc/control-plane";
export { MirrorSync } from "./rpc/mirror-sync";
export { BulkJob } from "./services/bulk/bulk-job";
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
