/**
 * Workflow control plane: Cloudflare's v4 Workflows REST API, served by a Worker deployed next
 * to the Workflows it manages. This is the project's own deployment, laid out as a team's is
 * (examples/team): the package's classes and handlers, this config's binding table, and the
 * demo Workflows it defines.
 */
import { deployedWorkflows } from "./generated/workflow-bindings";
import { defineControlPlane } from "./worker";

export {
  BulkJob,
  ControlPlane,
  IndexSegment,
  IndexWriter,
  InstanceJournal,
  InstanceSweeper,
  MirrorSync,
} from "./worker";
export { HelloWorldWorkflow } from "./workflows/hello-world";
export { OrderApprovalWorkflow } from "./workflows/order-approval";

export default defineControlPlane({ workflows: deployedWorkflows });
