/**
 * `workflow-control-plane <command>`: what a deployment's repository runs, from its own root
 * (where its wrangler.toml is). The package's own wrangler.toml is the reference for what a
 * deployment must declare.
 *
 *   typegen                        wrangler types, and the binding table (src/generated/workflow-bindings.ts)
 *   check                          both are up to date, and wrangler.toml declares what the control plane needs
 *   dev [wrangler dev flags]       the control plane on this machine (local D1, Durable Objects, Workflows)
 *   deploy [--dry-run] [--plan free|paid]
 *                                  checks the deployment (ids, secret, namespaces, bundle size), then
 *                                  applies the D1 migrations and deploys; --dry-run only reports
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { BINDING_TABLE, syncBindingTable } from "./lib/binding-table.ts";
import {
  checkContract,
  checkDeploy,
  type Finding,
  megabytes,
  PLAN_SIZE_LIMITS,
  type Plan,
  parseConfig,
  renderFindings,
  unexportedClasses,
  type WranglerConfig,
} from "./lib/deployment-check.ts";
import { runDev } from "./lib/dev.ts";

const PACKAGE_ROOT = fileURLToPath(new URL("..", import.meta.url));
const [command, ...args] = process.argv.slice(2);
const quietEnv = { ...process.env, WRANGLER_SEND_METRICS: "false" };

const readConfig = (path: string): WranglerConfig => parseConfig(readFileSync(path, "utf8"));
const reference = readConfig(join(PACKAGE_ROOT, "wrangler.toml"));
/** This repository runs the CLI on itself too; its binding table imports its types by path. */
const typesFrom =
  JSON.parse(readFileSync("package.json", "utf8")).name === "workflow-control-plane"
    ? "../domain/deployed-workflow"
    : undefined;
const bindingOptions = typesFrom === undefined ? {} : { typesFrom };

function wrangler(wranglerArgs: string[], options: { quiet?: boolean } = {}) {
  return spawnSync("wrangler", wranglerArgs, {
    stdio: options.quiet ? "pipe" : "inherit",
    encoding: "utf8",
    env: quietEnv,
  });
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function typegen(): void {
  const generated = wrangler(["types", "--strict-vars=false"], { quiet: true });
  if (generated.status !== 0) fail(`wrangler types failed:\n${generated.stdout}${generated.stderr}`);
  syncBindingTable(".", bindingOptions);
  console.log(`Wrote worker-configuration.d.ts and ${BINDING_TABLE}`);
}

function check(): void {
  const findings: Finding[] = checkContract(readConfig("wrangler.toml"), reference);
  if (wrangler(["types", "--strict-vars=false", "--check"], { quiet: true }).status !== 0) {
    findings.push({ problem: "worker-configuration.d.ts is out of date", fix: "run `workflow-control-plane typegen`" });
  }
  if (!syncBindingTable(".", { ...bindingOptions, check: true })) {
    findings.push({ problem: `${BINDING_TABLE} is out of date`, fix: "run `workflow-control-plane typegen`" });
  }
  findings.push(...unexportedClasses(readFileSync("worker-configuration.d.ts", "utf8")));
  if (findings.length > 0) fail(renderFindings(findings, "Check", ""));
  console.log("Check: wrangler.toml declares what the control plane needs; generated files are up to date.");
}

/** The bundle `wrangler deploy` would upload, gzip-compressed (source maps do not count). */
function bundleBytes(): number {
  const outdir = mkdtempSync(join(tmpdir(), "control-plane-bundle-"));
  try {
    const built = wrangler(["deploy", "--dry-run", "--outdir", outdir], { quiet: true });
    if (built.status !== 0) fail(`wrangler deploy --dry-run failed:\n${built.stdout}${built.stderr}`);
    return readdirSync(outdir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && !entry.name.endsWith(".map"))
      .reduce((total, entry) => total + gzipSync(readFileSync(join(entry.parentPath, entry.name))).length, 0);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The Worker's secret names, or undefined when wrangler cannot tell (offline, not logged in, not yet deployed). */
function secretNames(): readonly string[] | undefined {
  const listed = spawnSync("wrangler", ["secret", "list", "--format", "json"], {
    encoding: "utf8",
    env: quietEnv,
    timeout: 30_000,
  });
  if (listed.status !== 0) return undefined;
  try {
    return (JSON.parse(listed.stdout) as { name: string }[]).map((secret) => secret.name);
  } catch {
    return undefined;
  }
}

function deploy(): void {
  const dryRun = args.includes("--dry-run");
  const planIndex = args.indexOf("--plan");
  const plan = (planIndex === -1 ? "paid" : args[planIndex + 1]) as Plan;
  if (!(plan in PLAN_SIZE_LIMITS)) fail(`--plan takes ${Object.keys(PLAN_SIZE_LIMITS).join(" or ")}`);
  typegen();
  const config = readConfig("wrangler.toml");
  const bytes = bundleBytes();
  const secrets = secretNames();
  const findings = [
    ...checkDeploy(config, reference, { secrets, bundleBytes: bytes, plan }),
    ...unexportedClasses(readFileSync("worker-configuration.d.ts", "utf8")),
  ];
  console.log(renderFindings(findings));
  console.log(`  bundle: ${megabytes(bytes)} gzipped, of the ${plan} plan's ${megabytes(PLAN_SIZE_LIMITS[plan])}`);
  if (secrets === undefined) {
    console.log("  ADMIN_TOKEN: could not list the Worker's secrets (offline, not logged in, or not deployed yet);");
    console.log("  make sure of it with `npx wrangler secret put ADMIN_TOKEN`.");
  }
  if (findings.length > 0) process.exit(1);
  if (dryRun) {
    console.log("Dry run: nothing deployed.");
    return;
  }
  if (wrangler(["d1", "migrations", "apply", "DB", "--remote"]).status !== 0) fail("applying the D1 migrations failed");
  if (wrangler(["deploy"]).status !== 0) fail("wrangler deploy failed");
}

switch (command) {
  case "typegen":
    typegen();
    break;
  case "check":
    check();
    break;
  case "dev": {
    const findings = checkContract(readConfig("wrangler.toml"), reference);
    if (findings.length > 0) fail(renderFindings(findings, "Check", "before the control plane can run"));
    runDev(args, bindingOptions);
    break;
  }
  case "deploy":
    deploy();
    break;
  default:
    fail(
      "usage: workflow-control-plane typegen | check | dev [wrangler dev flags] | deploy [--dry-run] [--plan free|paid]",
    );
}
