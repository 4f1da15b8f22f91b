/**
 * Workflow control plane: Cloudflare's v4 Workflows REST API, served by a Worker deployed next
 * to the Workflows it manages.
 */
import { createApp } from "./app";
import { createDeps } from "./services/deps";
import { reconcile } from "./services/instances";

export { BulkJob } from "./durable-objects/bulk-job";
export { IndexWriter } from "./durable-objects/index-writer";
export { InstanceJournal } from "./durable-objects/instance-journal";
export { ControlPlane } from "./rpc/control-plane";
export { HelloWorldWorkflow } from "./workflows/hello-world";
export { OrderApprovalWorkflow } from "./workflows/order-approval";

const app = createApp();

export default {
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(reconcile(createDeps(env, ctx)));
  },
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
