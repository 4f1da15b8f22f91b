/**
 * `npm run bench:all [-- <name>…]`: every benchmark and check of bench/registry.ts (or those
 * named), one after the other with its published parameters, then `npm run bench:report`.
 * Refuses to start while what they measure has uncommitted changes: such results are not published.
 */
import { spawnSync } from "node:child_process";
import { BENCHMARKS } from "../bench/registry.ts";
import { dirtyPaths } from "./lib/results.ts";

const names = process.argv.slice(2);
const unknown = names.filter((name) => !BENCHMARKS.some((benchmark) => benchmark.name === name));
if (unknown.length > 0) {
  console.error(`No such benchmark: ${unknown.join(", ")}. Known: ${BENCHMARKS.map(({ name }) => name).join(", ")}`);
  process.exit(1);
}
// A withdrawn benchmark still runs when named, but publishes nothing (bench/registry.ts says why).
const chosen = BENCHMARKS.filter((benchmark) =>
  names.length === 0 ? benchmark.withdrawn === undefined : names.includes(benchmark.name),
);
const dirty = dirtyPaths([...new Set(chosen.flatMap((benchmark) => benchmark.paths))]);
if (dirty.length > 0) {
  console.error(`Uncommitted changes in measured paths (${dirty.join(", ")}): commit them first.`);
  process.exit(1);
}

const failed: string[] = [];
for (const benchmark of chosen) {
  const args = ["run", benchmark.script, ...(benchmark.published.length > 0 ? ["--", ...benchmark.published] : [])];
  console.log(`\n=== ${benchmark.title}: npm ${args.join(" ")} (${benchmark.duration})`);
  const started = performance.now();
  const run = spawnSync("npm", args, { stdio: "inherit" });
  console.log(
    `=== ${benchmark.name}: exit ${run.status} after ${((performance.now() - started) / 60_000).toFixed(1)} min`,
  );
  if (run.status !== 0) failed.push(benchmark.name);
}
const report = spawnSync("npm", ["run", "bench:report"], { stdio: "inherit" });
if (failed.length > 0) console.error(`Failed (their results show why): ${failed.join(", ")}`);
process.exit(failed.length > 0 || report.status !== 0 ? 1 : 0);
