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
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { BINDING_TABLE, syncBindingTable } from "./lib/binding-table.ts";
import {
  checkContract,
  checkDeploy,
  type Finding,
  isPlan,
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
const GENERATED_TYPES = "worker-configuration.d.ts";
const [command, ...args] = process.argv.slice(2);
const quietEnv = { ...process.env, WRANGLER_SEND_METRICS: "false" };

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function readConfig(path: string): WranglerConfig {
  if (!existsSync(path)) fail(`No ${path} here: run workflow-control-plane from your repository's root.`);
  return parseConfig(readFileSync(path, "utf8"));
}

const reference = readConfig(join(PACKAGE_ROOT, "wrangler.toml"));
/** This repository runs the CLI on itself too; its binding table imports its types by path. */
const bindingOptions =
  realpathSync(PACKAGE_ROOT) === realpathSync(".") ? { typesFrom: "../domain/deployed-workflow" } : {};

function wrangler(wranglerArgs: string[], options: { quiet?: boolean; timeoutMs?: number } = {}) {
  const result = spawnSync("wrangler", wranglerArgs, {
    stdio: options.quiet ? "pipe" : "inherit",
    encoding: "utf8",
    env: quietEnv,
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
  });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
    fail("wrangler is not installed here: add it to your devDependencies (`npm install --save-dev wrangler`).");
  }
  const stdout = result.stdout ?? "";
  return { ok: result.status === 0, stdout, output: `${stdout}${result.stderr ?? ""}` };
}

/** The generated files' freshness, and the entry module's exports. */
function generatedFindings(config: WranglerConfig): Finding[] {
  const findings: Finding[] = [];
  if (!wrangler(["types", "--strict-vars=false", "--check"], { quiet: true }).ok) {
    findings.push({ problem: `${GENERATED_TYPES} is out of date`, fix: "run `workflow-control-plane typegen`" });
  }
  if (!syncBindingTable(".", { ...bindingOptions, check: true })) {
    findings.push({ problem: `${BINDING_TABLE} is out of date`, fix: "run `workflow-control-plane typegen`" });
  }
  if (existsSync(GENERATED_TYPES)) {
    findings.push(...unexportedClasses(readFileSync(GENERATED_TYPES, "utf8"), config.name ?? "", reference));
  }
  return findings;
}

function typegen(): void {
  const generated = wrangler(["types", "--strict-vars=false"], { quiet: true });
  if (!generated.ok) fail(`wrangler types failed:\n${generated.output}`);
  syncBindingTable(".", bindingOptions);
  console.log(`Wrote ${GENERATED_TYPES} and ${BINDING_TABLE}`);
}

function check(): void {
  const config = readConfig("wrangler.toml");
  const findings = [...checkContract(config, reference), ...generatedFindings(config)];
  if (findings.length > 0) fail(renderFindings(findings, "Check", ""));
  console.log("Check: wrangler.toml declares what the control plane needs; generated files are up to date.");
}

/** The bundle `wrangler deploy` would upload, gzip-compressed: its modules, as Cloudflare counts them. */
function bundleBytes(): number {
  const outdir = mkdtempSync(join(tmpdir(), "control-plane-bundle-"));
  try {
    const built = wrangler(["deploy", "--dry-run", "--outdir", outdir], { quiet: true });
    if (!built.ok) return Number.NaN;
    return readdirSync(outdir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && [".js", ".mjs", ".wasm"].includes(extname(entry.name)))
      .reduce((total, entry) => total + gzipSync(readFileSync(join(entry.parentPath, entry.name))).length, 0);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The Worker's secret names, or undefined when wrangler cannot tell (offline, not logged in, not yet deployed). */
function secretNames(): readonly string[] | undefined {
  const listed = wrangler(["secret", "list", "--format", "json"], { quiet: true, timeoutMs: 30_000 });
  if (!listed.ok) return undefined;
  try {
    return (JSON.parse(listed.stdout) as { name: string }[]).map((secret) => secret.name);
  } catch {
    return undefined;
  }
}

/** `deploy`'s flags; anything else is refused, so a misspelt `--dry-run` never deploys. */
function deployOptions(): { dryRun: boolean; plan: Plan } {
  let dryRun = false;
  let plan: Plan = "paid";
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? "";
    if (arg === "--dry-run") dryRun = true;
    else if (arg === "--plan" || arg.startsWith("--plan=")) {
      const value = arg === "--plan" ? args[++index] : arg.slice("--plan=".length);
      if (!isPlan(value)) fail(`--plan takes ${Object.keys(PLAN_SIZE_LIMITS).join(" or ")}, not ${value ?? "nothing"}`);
      plan = value;
    } else fail(`deploy does not take ${arg}: it takes --dry-run and --plan free|paid`);
  }
  return { dryRun, plan };
}

function deploy(): void {
  const { dryRun, plan } = deployOptions();
  // A dry run changes nothing, not even the generated files: it reports them if stale.
  if (!dryRun) typegen();
  const config = readConfig("wrangler.toml");
  const bytes = bundleBytes();
  if (Number.isNaN(bytes)) fail("wrangler deploy --dry-run could not bundle the Worker: run it to see why.");
  const secrets = secretNames();
  const findings = [
    ...checkDeploy(config, reference, { secrets, bundleBytes: bytes, plan }),
    ...generatedFindings(config),
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
  if (!wrangler(["d1", "migrations", "apply", "DB", "--remote"]).ok) fail("applying the D1 migrations failed");
  if (!wrangler(["deploy"]).ok) fail("wrangler deploy failed");
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
