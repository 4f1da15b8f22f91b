/**
 * Workflow control plane: Cloudflare's v4 Workflows REST API, served by a Worker deployed next
 * to the Workflows it manages.
 */
import { createApp } from "./app";

export { HelloWorldWorkflow } from "./workflows/hello-world";
export { OrderApprovalWorkflow } from "./workflows/order-approval";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
