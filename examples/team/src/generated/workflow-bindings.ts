// Generated from wrangler.toml by `workflow-control-plane typegen`. Do not edit.
import type { DeployedWorkflow } from "workflow-control-plane";

export const deployedWorkflows = [
  {
    "name": "ship-order",
    "binding": "SHIP_ORDER",
    "className": "ShipOrderWorkflow",
    "scriptName": "shipping-worker"
  }
] as const satisfies readonly DeployedWorkflow[];
