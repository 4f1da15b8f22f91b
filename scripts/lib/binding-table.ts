/** The binding table file of a deployment: written from its wrangler.toml, or checked against it. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { renderWorkflowBindings } from "./workflow-bindings.ts";

/** Where a deployment keeps its binding table, relative to its root. */
export const BINDING_TABLE = "src/generated/workflow-bindings.ts";

/**
 * Writes `root`'s binding table from its wrangler.toml, or with `check` only compares; returns
 * whether the file was (or is) up to date.
 */
export function syncBindingTable(
  root: string,
  { check = false, typesFrom }: { check?: boolean; typesFrom?: string } = {},
): boolean {
  const rendered = renderWorkflowBindings(readFileSync(join(root, "wrangler.toml"), "utf8"), typesFrom);
  const output = join(root, BINDING_TABLE);
  const current = existsSync(output) ? readFileSync(output, "utf8") : "";
  if (current === rendered) return true;
  if (check) return false;
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, rendered);
  return true;
}
