/**
 * `npm run dev [-- <wrangler dev flags>]` (and a team's `workflow-control-plane dev`): the control
 * plane of the current directory's wrangler.toml on this machine, with local D1, Durable Objects
 * and Workflows, no account and no network.
 *
 * 1. makes sure .dev.vars holds an ADMIN_TOKEN (a random one when missing),
 * 2. writes the binding table, and applies the D1 migrations locally, in one line (their output
 *    goes to the log),
 * 3. names every Worker a config binds by script name that none of the configs given runs, with
 *    the `-c` to add,
 * 4. starts `wrangler dev` with every flag given here, and prints how to call it once ready.
 *
 * Everything wrangler prints goes to a log file (.wrangler/logs/dev-<port>.log, or $DEV_LOG_FILE,
 * appended to); the terminal gets all but a few known lines that are not faults of this project
 * (scripts/lib/dev-output.ts says which, and why).
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { parse } from "smol-toml";
import { syncBindingTable } from "./binding-table.ts";
import { hiddenBlocks, QuietLines, stripAnsi } from "./dev-output.ts";
import { missingWorkers } from "./dev-workers.ts";
import { LOCAL_ENGINE_FLAGS } from "./local-engine.ts";

export type DevOptions = {
  /** Configs run after those given unless given (this repository's shipping-worker). */
  readonly alongside?: readonly string[];
  /** Where the binding table imports its types from (see syncBindingTable). */
  readonly typesFrom?: string;
};

export function runDev(args: readonly string[], { alongside = [], typesFrom }: DevOptions = {}): void {
  const DEV_VARS = ".dev.vars";
  // Offline by design: no telemetry, and no fetch of the `Request.cf` placeholder (its fallback serves).
  // Wrangler's local observability records every RPC and storage call of every Worker (about 3.5
  // spans per engine event read) into a trace store that nothing prunes, which makes each engine
  // call cost three times the CPU: off unless asked for (it feeds the Local Explorer's tab).
  const childEnv = {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    X_LOCAL_OBSERVABILITY: process.env.X_LOCAL_OBSERVABILITY ?? "false",
  };

  function flag(name: string): string | undefined {
    const index = args.findIndex((arg) => arg === name || arg.startsWith(`${name}=`));
    if (index === -1) return undefined;
    const arg = args[index] ?? "";
    return arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[index + 1];
  }

  /** Returns the ADMIN_TOKEN in .dev.vars, adding a random one (and keeping other lines) if absent. */
  function ensureAdminToken(): string {
    const text = existsSync(DEV_VARS) ? readFileSync(DEV_VARS, "utf8") : "";
    const existing = /^ADMIN_TOKEN\s*=\s*"?([^"\n]+)"?\s*$/m.exec(text)?.[1];
    if (existing) return existing;
    const token = randomBytes(32).toString("base64url");
    const separator = text === "" || text.endsWith("\n") ? "" : "\n";
    writeFileSync(DEV_VARS, `${text}${separator}ADMIN_TOKEN="${token}"\n`, { mode: 0o600 });
    console.log(`Wrote a new random ADMIN_TOKEN to ${DEV_VARS}`);
    return token;
  }

  /** Runs a command with its output in the log only; on failure, shows the log's tail and exits. */
  function runLogged(command: string, commandArgs: string[]): string {
    const start = readFileSync(logPath, "utf8").length;
    const fd = openSync(logPath, "a");
    writeSync(fd, `\n$ ${command} ${commandArgs.join(" ")}\n`);
    const result = spawnSync(command, commandArgs, { stdio: ["ignore", fd, fd], env: childEnv });
    closeSync(fd);
    const output = stripAnsi(readFileSync(logPath, "utf8").slice(start));
    if (result.status !== 0) {
      const tail = output.trimEnd().split("\n").slice(-40).join("\n");
      console.error(`${tail}\n\n${command} ${commandArgs.slice(0, 3).join(" ")} failed; its whole output: ${logPath}`);
      process.exit(result.status ?? 1);
    }
    return output;
  }

  const token = ensureAdminToken();
  const CONTROL_PLANE_CONFIG = "wrangler.toml";
  const config = parse(readFileSync(CONTROL_PLANE_CONFIG, "utf8")) as { vars?: { ACCOUNT_ID?: string } };
  const accountId = config.vars?.ACCOUNT_ID ?? "(set ACCOUNT_ID in wrangler.toml)";
  /** With several `-c` configs (the control plane and a consumer), wrangler serves the first. */
  const served = flag("--config") ?? flag("-c") ?? CONTROL_PLANE_CONFIG;
  const servedName = (parse(readFileSync(served, "utf8")) as { name?: string }).name;

  const host = flag("--ip") ?? "127.0.0.1";
  const port = flag("--port") ?? "8787";
  const logPath = process.env.DEV_LOG_FILE ?? `.wrangler/logs/dev-${port}.log`;
  mkdirSync(dirname(logPath), { recursive: true });
  // A log named by the caller is the caller's to keep: a restart on the same state appends to it.
  writeFileSync(logPath, `npm run dev ${args.join(" ")} at ${new Date().toISOString()}\n`, {
    flag: process.env.DEV_LOG_FILE ? "a" : "w",
  });

  // Keep the binding table in step with wrangler.toml, then bring the local database up to date.
  syncBindingTable(".", typesFrom === undefined ? {} : { typesFrom });
  const persist = flag("--persist-to");
  const environment = flag("--env") ?? flag("-e");
  const migrations = runLogged("wrangler", [
    "d1",
    "migrations",
    "apply",
    "DB",
    "--local",
    "-c",
    CONTROL_PLANE_CONFIG,
    ...(persist ? ["--persist-to", persist] : []),
    ...(environment ? ["--env", environment] : []),
  ]);
  const applied = /About to apply (\d+) migration/.exec(migrations)?.[1];
  const upToDate = /No migrations to apply/.test(migrations);
  const migrated = upToDate ? "No D1 migrations to apply" : `Applied ${applied ?? "the"} D1 migrations`;
  console.log(
    `${migrated} (log: ${logPath}, with every line of wrangler dev; a few known harmless ones are left out here)`,
  );
  const banner =
    served === CONTROL_PLANE_CONFIG
      ? [
          "",
          "Workflow control plane is ready:",
          `  base URL    http://${host}:${port}/client/v4`,
          `  account id  ${accountId}`,
          `  API token   ${token}   (from ${DEV_VARS})`,
          `  dashboard   http://${host}:${port}/   (sign in with the token)`,
          "",
          `  curl -H "Authorization: Bearer ${token}" http://${host}:${port}/client/v4/accounts/${accountId}/workflows`,
          "",
        ].join("\n")
      : [
          "",
          `${servedName} is ready at http://${host}:${port}, with the workflow control plane running beside it`,
          "(reachable over its service binding; `npm run dev` serves the control plane itself).",
          "",
        ].join("\n");

  const configs = args.some((arg) => arg === "-c" || arg === "--config" || arg.startsWith("--config="))
    ? []
    : ["-c", CONTROL_PLANE_CONFIG];
  const extraConfigs = alongside.filter((config) => !args.includes(config)).flatMap((config) => ["-c", config]);
  const wranglerArgs = [
    "dev",
    ...configs,
    ...(flag("--ip") ? [] : ["--ip", host]),
    ...LOCAL_ENGINE_FLAGS.flatMap((name) => ["--compatibility-flag", name]),
    // Local Workflows have no Event Subscriptions: the sweeper keeps lists current on its own.
    "--var",
    "SWEEP_INTERVAL:2 seconds",
    // The local engine never forgets an instance: expiry deletes it, as Cloudflare's would forget it.
    "--var",
    "EXPIRE_IN_ENGINE:true",
    ...args,
    ...extraConfigs,
  ];
  for (const line of missingWorkers(configPaths(wranglerArgs))) console.warn(line);
  const child = spawn("wrangler", wranglerArgs, { stdio: ["inherit", "pipe", "pipe"], env: childEnv });
  const log = openSync(logPath, "a");
  const hidden = hiddenBlocks(LOCAL_ENGINE_FLAGS);
  const tablesShown = new Map<string, string>();
  let announced = false;
  const stdout = new QuietLines(
    hidden,
    (line) => {
      process.stdout.write(`${line}\n`);
      if (!announced && line.includes("Ready on")) {
        announced = true;
        console.log(banner);
      }
    },
    tablesShown,
  );
  const stderr = new QuietLines(hidden, (line) => process.stderr.write(`${line}\n`), tablesShown);
  for (const [stream, quiet] of [
    [child.stdout, stdout],
    [child.stderr, stderr],
  ] as const) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      writeSync(log, stripAnsi(chunk));
      quiet.write(chunk);
    });
  }
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => child.kill(signal));
  }
  // "close", not "exit": the pipes may still hold wrangler's last words when it exits.
  child.on("close", (code, signal) => {
    stdout.end();
    stderr.end();
    closeSync(log);
    if (!announced) console.error(`wrangler dev stopped before it was ready; its whole output: ${logPath}`);
    process.exit(code ?? (signal ? 1 : 0));
  });
}

/** The `-c`/`--config` values of wrangler's arguments, in order. */
function configPaths(wranglerArgs: readonly string[]): string[] {
  return wranglerArgs.flatMap((arg, index) => {
    if (arg.startsWith("--config=")) return [arg.slice("--config=".length)];
    const next = wranglerArgs[index + 1];
    return (arg === "-c" || arg === "--config") && next !== undefined ? [next] : [];
  });
}
