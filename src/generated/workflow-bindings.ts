// Generated from wrangler.toml by `workflow-control-plane typegen`. Do not edit.
import type { DeployedWorkflow } from "../domain/deployed-workflow";

export const deployedWorkflows = [
  {
    "name": "hello-world",
    "binding": "HELLO_WORLD",
    "className": "HelloWorldWorkflow",
    "scriptName": "workflow-control-plane"
  },
  {
    "name": "order-approval",
    "binding": "ORDER_APPROVAL",
    "className": "OrderApprovalWorkflow",
    "scriptName": "workflow-control-plane"
  },
  {
    "name": "ship-order",
    "binding": "SHIP_ORDER",
    "className": "ShipOrderWorkflow",
    "scriptName": "shipping-worker"
  },
  {
    "name": "ship-batch",
    "binding": "SHIP_BATCH",
    "className": "ShipBatchWorkflow",
    "scriptName": "shipping-worker"
  }
] as const satisfies readonly DeployedWorkflow[];
