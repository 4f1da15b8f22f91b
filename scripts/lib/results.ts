/**
 * Where each benchmark and check leaves what it measured: bench/results/<name>.json, with the
 * raw samples, the commit, whether the measured paths had uncommitted changes, the date, the
 * machine and the runtime's versions, so docs/benchmarks.md can be generated from it and checked
 * against the code it describes (scripts/bench-report.ts).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, platform, release, totalmem } from "node:os";
import { benchmarkNamed, RUNTIME_PACKAGES } from "../../bench/registry.ts";

/** One published number: what was timed, in which unit. */
export type Figure = {
  /** Stable id, which the registry's targets name. */
  key: string;
  label: string;
  value: number;
  unit: string;
  /** One line: what was timed or counted. */
  timed: string;
  /** Decimal places to print (2 unless given). */
  digits?: number;
};

export type Check = { name: string; ok: boolean };

export type Machine = {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  packages: Record<string, string>;
};

export type Results = {
  benchmark: string;
  command: string;
  commit: string;
  /** Measured paths with uncommitted changes when the run started: such a run is not published. */
  dirty: string[];
  date: string;
  machine: Machine;
  params: Record<string, unknown>;
  samples: Record<string, unknown>;
  figures: Figure[];
  /** A check's verdicts (crash check, bulk resume, fuzz); benchmarks have none. */
  checks?: Check[];
  notes?: string[];
};

export const RESULTS_DIR = "bench/results";
export const resultsPath = (name: string) => `${RESULTS_DIR}/${name}.json`;

function git(args: string[], cwd: string): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/** The versions package-lock.json pins for the runtime packages. */
export function lockedVersions(cwd = "."): Record<string, string> {
  const lock = JSON.parse(readFileSync(`${cwd}/package-lock.json`, "utf8")) as {
    packages: Record<string, { version?: string }>;
  };
  return Object.fromEntries(
    RUNTIME_PACKAGES.map((name) => [name, lock.packages[`node_modules/${name}`]?.version ?? "?"]),
  );
}

function machine(): Machine {
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    packages: lockedVersions(),
  };
}

/** Which of these paths have uncommitted changes (untracked files included). */
export function dirtyPaths(paths: readonly string[], cwd = "."): string[] {
  const status = git(["status", "--porcelain", "--untracked-files=all", "--", ...paths], cwd);
  // The status column may have lost its leading space to trimming: strip it by its shape.
  return status === "" ? [] : status.split("\n").map((line) => line.replace(/^[ MADRCUT?!]{1,2} /, ""));
}

/**
 * The provenance a run starts with: called before measuring, so an edit made during a long run
 * cannot pass for the code that ran.
 */
export function startResults(name: string): Pick<Results, "benchmark" | "command" | "commit" | "dirty" | "date"> {
  const benchmark = benchmarkNamed(name);
  const args = process.argv.slice(2);
  const dirty = dirtyPaths(benchmark.paths);
  if (dirty.length > 0) {
    console.warn(
      `Uncommitted changes in what this measures (${dirty.join(", ")}): the results will not be publishable.`,
    );
  }
  return {
    benchmark: name,
    command: `npm run ${benchmark.script}${args.length > 0 ? ` -- ${args.join(" ")}` : ""}`,
    commit: git(["rev-parse", "HEAD"], "."),
    dirty,
    date: new Date().toISOString(),
  };
}

/** Writes bench/results/<name>.json and says so. */
export function writeResults(
  started: ReturnType<typeof startResults>,
  measured: Pick<Results, "params" | "samples" | "figures"> & Pick<Partial<Results>, "checks" | "notes">,
): void {
  const results: Results = { ...started, machine: machine(), ...measured };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(resultsPath(started.benchmark), `${JSON.stringify(results, null, 2)}\n`);
  console.log(
    `\nWrote ${resultsPath(started.benchmark)}${started.dirty.length > 0 ? " (dirty tree: not publishable)" : ""}; \`npm run bench:report\` publishes it.`,
  );
}
