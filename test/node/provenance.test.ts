/**
 * The provenance check of docs/benchmarks.md (scripts/lib/provenance.ts) in a throwaway git
 * repository: a clean, current results file passes; a stale, a dirty, an unknown commit, a
 * missing file, a hand-edited figure and a shallow clone each fail, saying why.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Benchmark } from "../../bench/registry.ts";
import { checkReport, loadEntries, REPORT_PATH, renderReport } from "../../scripts/lib/provenance.ts";
import { dirtyPaths, lockedVersions, type Results, resultsPath } from "../../scripts/lib/results.ts";

const BENCH: Benchmark = {
  name: "toy",
  title: "Toy",
  script: "bench:toy",
  published: ["--rounds", "3"],
  duration: "a moment",
  paths: ["src/", "bench/toy.ts"],
  targets: { ratio: { at: ">=", value: 0.9, from: "a test" } },
};

let repo: string;

function git(...args: string[]): string {
  return execFileSync("git", args, { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

function commitFile(path: string, text: string, message: string): string {
  mkdirSync(join(repo, path, ".."), { recursive: true });
  writeFileSync(join(repo, path), text);
  git("add", "-A");
  git("-c", "user.name=Test", "-c", "user.email=test@example.invalid", "commit", "-qm", message);
  return git("rev-parse", "HEAD");
}

function results(commit: string, overrides: Partial<Results> = {}): Results {
  return {
    benchmark: BENCH.name,
    command: "npm run bench:toy -- --rounds 3",
    commit,
    dirty: [],
    date: "2026-12-01T10:00:00.000Z",
    machine: { cpu: "Toy CPU", cores: 2, memoryGiB: 4, os: "linux", node: "v22", packages: lockedVersions(repo) },
    params: { rounds: 3 },
    samples: { ratios: [0.9, 0.95, 1] },
    figures: [{ key: "ratio", label: "api / bare", value: 0.95, unit: "", timed: "the medians' ratio" }],
    ...overrides,
  };
}

/** Writes the results file and the report rendered from it, and commits both. */
function publish(measured: Results): void {
  mkdirSync(join(repo, "bench/results"), { recursive: true });
  writeFileSync(join(repo, resultsPath(BENCH.name)), JSON.stringify(measured));
  mkdirSync(join(repo, "docs"), { recursive: true });
  writeFileSync(join(repo, REPORT_PATH), renderReport(loadEntries(repo, [BENCH])));
  git("add", "-A");
  git("-c", "user.name=Test", "-c", "user.email=test@example.invalid", "commit", "-qm", "publish");
}

beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), "provenance-"));
  git("init", "-q");
  cpSync("package-lock.json", join(repo, "package-lock.json"));
  commitFile("src/app.ts", "export const app = 1;\n", "the code");
});

afterEach(() => rmSync(repo, { recursive: true, force: true }));

describe("checkReport", () => {
  it("passes a report rendered from a clean results file of the latest change", () => {
    publish(results(git("rev-parse", "HEAD")));
    commitFile("README.md", "unrelated\n", "a change outside the measured paths");
    expect(checkReport(repo, [BENCH])).toEqual([]);
    expect(readFileSync(join(repo, REPORT_PATH), "utf8")).toContain("| api / bare | 0.95 | ≥ 0.9 (a test): met |");
  });

  it("fails a results file older than a change to a measured path", () => {
    const measured = git("rev-parse", "HEAD");
    commitFile("src/app.ts", "export const app = 2;\n", "change the code");
    publish(results(measured));
    const problems = checkReport(repo, [BENCH]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/toy\.json is stale: 1 commit\(s\) since .* \(newest: \w+ change the code\)/);
  });

  it("fails a results file measured with other parameters than the published ones", () => {
    publish(results(git("rev-parse", "HEAD"), { command: "npm run bench:toy -- --rounds 1" }));
    expect(checkReport(repo, [BENCH])).toEqual([expect.stringMatching(/not with the published parameters/)]);
  });

  it("fails a results file measured on a dirty tree", () => {
    publish(results(git("rev-parse", "HEAD"), { dirty: ["src/app.ts"] }));
    expect(checkReport(repo, [BENCH])).toEqual([expect.stringMatching(/uncommitted changes in src\/app\.ts/)]);
  });

  it("fails a hand-edited figure", () => {
    publish(results(git("rev-parse", "HEAD")));
    const path = join(repo, REPORT_PATH);
    writeFileSync(path, readFileSync(path, "utf8").replace("| 0.95 |", "| 0.99 |"));
    expect(checkReport(repo, [BENCH])).toEqual([expect.stringMatching(/not what `npm run bench:report` renders/)]);
  });

  it("fails a commit the repository does not have, a missing file, and another runtime", () => {
    publish(results("0123456789abcdef0123456789abcdef01234567"));
    expect(checkReport(repo, [BENCH])).toEqual([expect.stringMatching(/which this repository does not have/)]);

    const other = results(git("rev-parse", "HEAD"));
    publish({ ...other, machine: { ...other.machine, packages: { ...other.machine.packages, workerd: "0.0.1" } } });
    expect(checkReport(repo, [BENCH])).toEqual([expect.stringMatching(/measured on workerd 0\.0\.1/)]);

    rmSync(join(repo, resultsPath(BENCH.name)));
    expect(checkReport(repo, [BENCH])).toContainEqual(expect.stringMatching(/no bench\/results\/toy\.json; re-run/));
  });

  it("publishes no figure of a withdrawn benchmark, and needs no results file for it", () => {
    const withdrawn = { ...BENCH, withdrawn: "the code it measures is being replaced" };
    publish(results(git("rev-parse", "HEAD")));
    writeFileSync(join(repo, REPORT_PATH), renderReport(loadEntries(repo, [withdrawn])));
    rmSync(join(repo, resultsPath(BENCH.name)));
    expect(checkReport(repo, [withdrawn])).toEqual([]);
    const report = readFileSync(join(repo, REPORT_PATH), "utf8");
    expect(report).toContain("No figure published: the code it measures is being replaced");
    expect(report).not.toContain("0.95");
  });

  it("lists every figure that misses its target at the top, and says so when none does", () => {
    const strict = { ...BENCH, targets: { ratio: { at: ">=" as const, value: 0.99, from: "the toy issue" } } };
    publish(results(git("rev-parse", "HEAD")));
    const missed = renderReport(loadEntries(repo, [strict]));
    const section = missed.slice(missed.indexOf("## Targets not met"), missed.indexOf(`## ${BENCH.title}`));
    expect(section).toContain("| api / bare | 0.95 | ≥ 0.99 (the toy issue): **not met** |");
    const lenient = { ...BENCH, targets: { ratio: { at: ">=" as const, value: 0.9, from: "the toy issue" } } };
    expect(renderReport(loadEntries(repo, [lenient]))).toContain("Every published figure meets its target.");
  });

  it("refuses a shallow clone instead of passing it", () => {
    publish(results(git("rev-parse", "HEAD")));
    const shallow = mkdtempSync(join(tmpdir(), "provenance-shallow-"));
    try {
      execFileSync("git", ["clone", "-q", "--depth", "1", `file://${repo}`, shallow], { stdio: "ignore" });
      expect(checkReport(shallow, [BENCH])).toEqual([expect.stringMatching(/shallow: run `git fetch --unshallow`/)]);
    } finally {
      rmSync(shallow, { recursive: true, force: true });
    }
  });
});

describe("dirtyPaths", () => {
  it("names each changed path whole, the first one included", () => {
    commitFile("src/app.ts", "one", "first");
    commitFile("bench/toy.ts", "one", "second");
    writeFileSync(join(repo, "src/app.ts"), "two");
    writeFileSync(join(repo, "bench/toy.ts"), "two");
    writeFileSync(join(repo, "src/new.ts"), "new");
    expect(dirtyPaths(["src/", "bench/toy.ts"], repo).sort()).toEqual(["bench/toy.ts", "src/app.ts", "src/new.ts"]);
  });
});
