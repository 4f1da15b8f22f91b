/**
 * Which Workers the configs given to `wrangler dev` bind by name but do not run. A Workflow bound
 * with `script_name` to a Worker that is not running is accepted at create and only fails later
 * ("Worker not found"), so `dev` names it at startup, with the `-c` that would run it.
 */
import { type Dirent, existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "smol-toml";

type BindingConfig = { name?: string; binding?: string; script_name?: string; service?: string };
type Config = { name?: string; workflows?: BindingConfig[]; services?: BindingConfig[] };

const readConfig = (path: string): Config => parse(readFileSync(path, "utf8")) as Config;

/** The name in a config found while searching; another project's broken one is none of ours. */
function nameIn(path: string): string | undefined {
  try {
    return existsSync(path) ? readConfig(path).name : undefined;
  } catch {
    return undefined;
  }
}

/** Lines to print, one per Worker bound but not run (none when all run). */
export function missingWorkers(configPaths: readonly string[], searchFrom = "."): string[] {
  const configs = configPaths.filter((path) => existsSync(path)).map(readConfig);
  const running = new Set(configs.map((config) => config.name));
  const wanted = new Map<string, string[]>();
  for (const config of configs) {
    const bound = [
      ...(config.workflows ?? []).map((workflow) => ({
        by: `workflow ${workflow.name}`,
        worker: workflow.script_name,
      })),
      ...(config.services ?? []).map((service) => ({ by: `service ${service.binding}`, worker: service.service })),
    ];
    for (const { by, worker } of bound) {
      if (worker === undefined || running.has(worker)) continue;
      wanted.set(worker, [...(wanted.get(worker) ?? []), `${config.name}'s ${by}`]);
    }
  }
  return [...wanted].map(([worker, by]) => {
    const found = findConfigOf(worker, searchFrom);
    const add = found ? `-c ${found}` : `-c <path to ${worker}'s wrangler.toml>`;
    return `Worker "${worker}" is not running here, but ${by.join(", ")} ${by.length > 1 ? "need" : "needs"} it: add ${add} (calls to it fail with "Worker not found" until then).`;
  });
}

const SKIPPED = new Set(["node_modules", ".git", ".wrangler", "dist"]);

/** A wrangler.toml naming this Worker, in this folder, its parent, or three levels below either. */
export function findConfigOf(workerName: string, searchFrom = "."): string | undefined {
  const visit = (folder: string, depth: number): string | undefined => {
    const config = join(folder, "wrangler.toml");
    if (nameIn(config) === workerName) return config;
    if (depth === 0) return undefined;
    let entries: Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return undefined;
    }
    const children = entries.filter(
      (entry) => entry.isDirectory() && !SKIPPED.has(entry.name) && !entry.name.startsWith("."),
    );
    for (const child of children) {
      const found = visit(join(folder, child.name), depth - 1);
      if (found) return found;
    }
    return undefined;
  };
  const found = visit(searchFrom, 3) ?? visit(join(searchFrom, ".."), 3);
  return found === undefined ? undefined : relative(searchFrom, join(found)) || found;
}
