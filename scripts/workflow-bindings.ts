/**
 * Writes src/generated/workflow-bindings.ts from the `[[workflows]]` and workflow `exports` of
 * wrangler.toml, so the Worker knows at run time which binding (or export) serves which
 * workflow name (a binding does not say).
 *
 *   node scripts/workflow-bindings.ts           write the file
 *   node scripts/workflow-bindings.ts --check   fail if the file is out of date
 */
import { readFileSync, writeFileSync } from "node:fs";
import { renderWorkflowBindings } from "./lib/workflow-bindings.ts";

const CONFIG = new URL("../wrangler.toml", import.meta.url);
const OUTPUT = new URL("../src/generated/workflow-bindings.ts", import.meta.url);

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
