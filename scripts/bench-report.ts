/**
 * `npm run bench:report`: renders docs/benchmarks.md from bench/registry.ts and the results files
 * in bench/results/. Refuses results measured with uncommitted changes in what they measure.
 *
 *   npm run bench:report             write docs/benchmarks.md
 *   npm run bench:report -- --check  fail unless docs/benchmarks.md is that rendering, of clean
 *                                    runs no older than the code they measure (run by `npm test`)
 */
import { writeFileSync } from "node:fs";
import { checkReport, loadEntries, REPORT_PATH, renderReport } from "./lib/provenance.ts";
import { resultsPath } from "./lib/results.ts";

if (process.argv.includes("--check")) {
  const problems = checkReport(".");
  if (problems.length > 0) {
    console.error(`${REPORT_PATH} cannot be published as it stands:`);
    for (const problem of problems) console.error(`  - ${problem}`);
    process.exit(1);
  }
  console.log(`${REPORT_PATH}: every figure comes from a clean, current results file.`);
} else {
  const entries = loadEntries(".");
  const dirty = entries.filter(({ results }) => results !== undefined && results.dirty.length > 0);
  if (dirty.length > 0) {
    for (const { benchmark, results } of dirty) {
      console.error(
        `${resultsPath(benchmark.name)} was measured with uncommitted changes (${results?.dirty.join(", ")}): not published.`,
      );
    }
    console.error("Commit the changes, re-run those benchmarks, then `npm run bench:report`.");
    process.exit(1);
  }
  writeFileSync(REPORT_PATH, renderReport(entries));
  const missing = entries
    .filter(({ benchmark, results }) => !results && benchmark.withdrawn === undefined)
    .map(({ benchmark }) => benchmark.name);
  const withdrawn = entries
    .filter(({ benchmark }) => benchmark.withdrawn !== undefined)
    .map(({ benchmark }) => benchmark.name);
  console.log(
    `Wrote ${REPORT_PATH}${missing.length > 0 ? `; not yet measured: ${missing.join(", ")}` : ""}${withdrawn.length > 0 ? `; withdrawn: ${withdrawn.join(", ")}` : ""}.`,
  );
}
