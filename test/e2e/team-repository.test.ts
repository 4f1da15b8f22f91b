import { execFileSync } from "node:child_process";
import { cpSync, lstatSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Cloudflare from "cloudflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../../scripts/lib/dev-server.ts";
import { unique } from "./ids.ts";
import { untilStatus } from "./poll.ts";

/**
 * examples/team as a team would use it: its own wrangler.toml and entry module, the control plane
 * a dependency (this checkout, by path). It installs, runs (`npm run dev`, binding a Workflow of a
 * separate Worker), tests and dry-run deploys with its own config only; and swapping the
 * dependency for the current tree, packed as a release would be, in a copy of it needs no change
 * to the team's files.
 */

const TEAM = "examples/team";
const REPOSITORY = resolve(".");
/** The team's own files: an upgrade must leave every one as it was. */
const TEAM_FILES = ["wrangler.toml", "src/index.ts", "tsconfig.json", "src/generated/workflow-bindings.ts"];
const npm = (cwd: string, args: string[]) =>
  execFileSync("npm", args, { cwd, encoding: "utf8", stdio: "pipe", env: { ...process.env, CI: "true" } });
const install = (cwd: string, args: string[] = ["ci"]) =>
  npm(cwd, [...args, "--prefer-offline", "--no-audit", "--no-fund"]);

beforeAll(() => {
  install(TEAM);
}, 180_000);

describe("the example team repository, with its own config only", () => {
  let server: DevServer;

  beforeAll(async () => {
    server = await startDevServer({ cwd: TEAM, logPath: "test/e2e/.artifacts/team-dev-server.log" });
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("runs a Workflow of another Worker under `npm run dev`: create, wait, event, complete", async () => {
    const account_id = server.accountId;
    const cloudflare = new Cloudflare({ apiToken: server.token, baseURL: server.baseUrl, maxRetries: 0 });
    const workflows = [];
    for await (const workflow of cloudflare.workflows.list({ account_id })) workflows.push(workflow.name);
    // Its own bindings only: none of this repository's demo Workflows ships to it.
    expect(workflows).toEqual(["ship-order"]);

    const workflow_name = "ship-order";
    const id = unique("team-order");
    await cloudflare.workflows.instances.create(workflow_name, {
      account_id,
      instance_id: id,
      params: JSON.stringify({ orderId: id }),
    });
    const read = () => cloudflare.workflows.instances.get(id, { account_id, workflow_name });
    await untilStatus(read, "waiting");
    await cloudflare.workflows.instances.events.create("picked-up", {
      account_id,
      workflow_name,
      instance_id: id,
      body: { at: "dock 4" },
    });
    const done = await untilStatus(read, "complete");
    // Cloudflare's API answers an output as JSON text.
    expect(JSON.parse(String(done.output))).toEqual({ orderId: id, label: `label-${id}`, pickedUpAt: "dock 4" });
  });

  it("passes its own tests and dry-run deploy", () => {
    expect(npm(TEAM, ["test"])).toContain("Check: wrangler.toml declares what the control plane needs");
    const report = npm(TEAM, ["run", "deploy", "--", "--dry-run"]);
    expect(report).toContain("Deployment check: nothing missing.");
    expect(report).toContain("Dry run: nothing deployed.");
  });
});

describe("upgrading the team repository to the current tree, packed as a release is", () => {
  let copy: string;
  let tarball: string;

  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), "team-upgrade-"));
    cpSync(TEAM, copy, { recursive: true, filter: (source) => !/node_modules|\.wrangler|\.dev\.vars/.test(source) });
    // A tarball, not a link: installed as a copy under node_modules, as from a registry or a git ref.
    const packed = JSON.parse(npm(REPOSITORY, ["pack", "--json", "--pack-destination", copy])) as {
      filename: string;
    }[];
    tarball = join(copy, packed[0]?.filename ?? "");
  }, 120_000);

  afterAll(() => {
    rmSync(copy, { recursive: true, force: true });
  });

  it("is one npm install, and the team's files pass untouched", () => {
    const before = TEAM_FILES.map((file) => readFileSync(join(copy, file), "utf8"));
    install(copy, ["install", "--save", tarball]);
    const manifest = JSON.parse(readFileSync(join(copy, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const spec = manifest.dependencies["workflow-control-plane"] ?? "";
    expect(resolve(copy, spec.replace(/^file:/, ""))).toBe(tarball);
    expect(lstatSync(join(copy, "node_modules/workflow-control-plane")).isSymbolicLink()).toBe(false);
    expect(npm(copy, ["test"])).toContain("generated files are up to date");
    expect(npm(copy, ["run", "deploy", "--", "--dry-run"])).toContain("Deployment check: nothing missing.");
    expect(TEAM_FILES.map((file) => readFileSync(join(copy, file), "utf8"))).toEqual(before);
  }, 240_000);
});
