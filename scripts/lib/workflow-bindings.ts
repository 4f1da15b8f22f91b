import { parse } from "smol-toml";

/**
 * The Workflows a wrangler config declares, as the Worker's binding table lists them: each
 * `[[workflows]]` binding, and each `exports` entry of `type = "workflow"` (wrangler ≥ 4.139).
 * A binding and an export of the same name are one Workflow sharing its instances: the binding
 * reaches it (`env`), the export adds what only exports declare (`default_retention`). An
 * export without a binding is reached through `ctx.exports`.
 */

type Limits = { steps?: number };
type Retention = { success_retention?: number | string; error_retention?: number | string };

type WorkflowBindingConfig = {
  name: string;
  binding: string;
  class_name: string;
  script_name?: string;
  limits?: Limits;
};

type ExportConfig = { type?: string; name?: string; limits?: Limits; default_retention?: Retention };

type WranglerConfig = {
  name: string;
  workflows?: WorkflowBindingConfig[];
  exports?: Record<string, ExportConfig>;
};

export type WorkflowEntry = {
  name: string;
  binding?: string;
  exportName?: string;
  className: string;
  scriptName: string;
  limits?: Limits;
  defaultRetention?: Retention;
};

/** Durations as wrangler and the Workflows API take them: milliseconds, or like "7 days". */
const DURATION = /^(\d+)\s+(second|minute|hour|day|week|month|year)s?$/;

function checkedRetention(where: string, retention: Retention): Retention {
  for (const [key, value] of Object.entries(retention)) {
    const valid = typeof value === "number" ? Number.isInteger(value) && value >= 0 : DURATION.test(value);
    if (!valid) throw new Error(`${where}.${key}: ${JSON.stringify(value)} is neither milliseconds nor like "7 days"`);
  }
  return retention;
}

export function workflowEntries(configText: string): WorkflowEntry[] {
  const config = parse(configText) as WranglerConfig;
  const entries = new Map<string, WorkflowEntry>();
  for (const workflow of config.workflows ?? []) {
    entries.set(workflow.name, {
      name: workflow.name,
      binding: workflow.binding,
      className: workflow.class_name,
      scriptName: workflow.script_name ?? config.name,
      ...(workflow.limits ? { limits: workflow.limits } : {}),
    });
  }
  for (const [className, declared] of Object.entries(config.exports ?? {})) {
    if (declared.type !== "workflow" || declared.name === undefined) continue;
    const bound = entries.get(declared.name);
    if (bound && (bound.className !== className || bound.scriptName !== config.name)) {
      throw new Error(
        `exports.${className} names workflow "${declared.name}", whose [[workflows]] binding runs ` +
          `${bound.className} of ${bound.scriptName}: one workflow cannot be two classes`,
      );
    }
    const limits = declared.limits ?? bound?.limits;
    entries.set(declared.name, {
      name: declared.name,
      ...(bound ? { binding: bound.binding } : {}),
      exportName: className,
      className,
      scriptName: config.name,
      ...(limits ? { limits } : {}),
      ...(declared.default_retention
        ? { defaultRetention: checkedRetention(`exports.${className}.default_retention`, declared.default_retention) }
        : {}),
    });
  }
  return [...entries.values()];
}

/**
 * The binding table's module. `typesFrom` is where it imports `DeployedWorkflow` from: the
 * package itself ("workflow-control-plane") in a team's repository, a relative path in this one.
 */
export function renderWorkflowBindings(configText: string, typesFrom = "workflow-control-plane"): string {
  return [
    "// Generated from wrangler.toml by `workflow-control-plane typegen`. Do not edit.",
    `import type { DeployedWorkflow } from "${typesFrom}";`,
    "",
    `export const deployedWorkflows = ${JSON.stringify(workflowEntries(configText), null, 2)} as const satisfies readonly DeployedWorkflow[];`,
    "",
  ].join("\n");
}
