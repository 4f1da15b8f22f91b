/**
 * Starts `npm run dev -- --port <free port> --persist-to <temp dir> [flags]` the way the README
 * does, in a process group of its own, and stops the whole group (wrangler and workerd) after.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve as resolvePath } from "node:path";

export type DevServer = {
  baseUrl: string;
  token: string;
  accountId: string;
  /** Every line wrangler printed (the log at `logPath` has what `npm run dev` showed of them). */
  wranglerLogPath: string;
  /** Stops the whole process group and, unless the state was given, removes it. */
  stop: () => Promise<void>;
  /** SIGKILLs the whole process group, as a crash would; the state stays. */
  crash: () => Promise<void>;
};

/** What `npm run dev` prints once ready: the control plane's banner, or the one of a Worker served in front of it. */
const READY = /Workflow control plane is ready|is ready at http/;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("could not find a free port");
  return address.port;
}

function waitForReady(child: ChildProcess, logPath: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(
      () => reject(new Error(`npm run dev not ready after ${timeoutMs} ms; see ${logPath}`)),
      timeoutMs,
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (READY.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`npm run dev exited with ${code}; see ${logPath}`));
    });
  });
}

export async function startDevServer({
  logPath,
  flags = [],
  persistTo,
  cwd = ".",
}: {
  logPath: string;
  flags?: string[];
  /** Local state to use (and keep); a fresh temporary one otherwise. */
  persistTo?: string;
  /** The repository to run `npm run dev` in (a team's, such as examples/team); this one otherwise. */
  cwd?: string;
}): Promise<DevServer> {
  const port = await freePort();
  const state = persistTo ?? mkdtempSync(join(tmpdir(), "control-plane-"));
  mkdirSync(dirname(logPath), { recursive: true });
  const log = createWriteStream(logPath, { flags: persistTo ? "a" : "w" });
  const wranglerLogPath = logPath.replace(/(\.log)?$/, ".wrangler.log");
  if (!persistTo) writeFileSync(wranglerLogPath, "");
  const child = spawn("npm", ["run", "dev", "--", "--port", String(port), "--persist-to", state, ...flags], {
    cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DEV_LOG_FILE: relative(cwd, resolvePath(wranglerLogPath)) },
  });
  // Two sources into one log: neither may end it for the other.
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });

  const signal = async (name: NodeJS.Signals) => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-child.pid, name);
      await exited;
    }
  };
  const stop = async () => {
    await signal("SIGTERM");
    if (!persistTo) rmSync(state, { recursive: true, force: true });
  };
  const crash = () => signal("SIGKILL");
  try {
    await waitForReady(child, logPath, 150_000);
  } catch (error) {
    await stop();
    throw error;
  }
  const token = /^ADMIN_TOKEN\s*=\s*"?([^"\n]+)"?/m.exec(readFileSync(join(cwd, ".dev.vars"), "utf8"))?.[1];
  const accountId = /^ACCOUNT_ID\s*=\s*"([^"]+)"/m.exec(readFileSync(join(cwd, "wrangler.toml"), "utf8"))?.[1];
  if (!token || !accountId) {
    await stop();
    throw new Error("npm run dev left no ADMIN_TOKEN in .dev.vars or no ACCOUNT_ID in wrangler.toml");
  }
  return { baseUrl: `http://127.0.0.1:${port}/client/v4`, token, accountId, wranglerLogPath, stop, crash };
}
