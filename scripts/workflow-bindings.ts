/**
 * Writes src/generated/workflow-bindings.ts from the `[[workflows]]` of wrangler.toml, so the
 * Worker knows at run time which binding serves which workflow name (a binding does not say).
 *
 *   node scripts/workflow-bindings.ts           write the file
 *   node scripts/workflow-bindings.ts --check   fail if the file is out of date
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parse } from "smol-toml";

const CONFIG = new URL("../wrangler.toml", import.meta.url);
const OUTPUT = new URL("../src/generated/workflow-bindings.ts", import.meta.url);

type WorkflowConfig = {
  name: string;
  binding: string;
  class_name: string;
  script_name?: string;
  limits?: { steps?: number };
};

export function renderWorkflowBindings(configText: string): string {
  const config = parse(configText) as { name: string; workflows?: WorkflowConfig[] };
  const entries = (config.workflows ?? []).map((workflow) => ({
    name: workflow.name,
    binding: workflow.binding,
    className: workflow.class_name,
    scriptName: workflow.script_name ?? config.name,
    ...(workflow.limits ? { limits: workflow.limits } : {}),
  }));
  return [
    "// Generated from wrangler.toml by `npm run cf-typegen` (scripts/workflow-bindings.ts). Do not edit.",
    'import type { DeployedWorkflow } from "../domain/deployed-workflow";',
    "",
    `export const deployedWorkflows = ${JSON.stringify(entries, null, 2)} as const satisfies readonly DeployedWorkflow[];`,
    "",
  ].join("\n");
}

const rendered = renderWorkflowBindings(readFileSync(CONFIG, "utf8"));
if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(OUTPUT, "utf8");
  } catch {
    // A missing file is simply out of date.
  }
  if (current !== rendered) {
    console.error("src/generated/workflow-bindings.ts is out of date: run `npm run cf-typegen`.");
    process.exit(1);
  }
} else {
  writeFileSync(OUTPUT, rendered);
}
