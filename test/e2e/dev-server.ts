/**
 * Starts `npm run dev -- --port <free port> --persist-to <temp dir>` once for the e2e files,
 * the way the README does, and stops its whole process group afterwards.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

export type ControlPlane = { baseUrl: string; token: string; accountId: string };

declare module "vitest" {
  export interface ProvidedContext {
    controlPlane: ControlPlane;
  }
}

const READY = "Workflow control plane is ready";
const LOG_DIR = "test/e2e/.artifacts";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function waitForReady(child: ChildProcess, logPath: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(
      () => reject(new Error(`npm run dev was not ready after ${timeoutMs} ms; see ${logPath}`)),
      timeoutMs,
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(READY)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`npm run dev exited with ${code}; see ${logPath}`));
    });
  });
}

export default async function startDevServer({ provide }: TestProject) {
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), "control-plane-e2e-"));
  mkdirSync(LOG_DIR, { recursive: true });
  const logPath = join(LOG_DIR, "dev-server.log");
  const log = createWriteStream(logPath);
  // A process group of its own, so stopping it stops wrangler and workerd too.
  const child = spawn("npm", ["run", "dev", "--", "--port", String(port), "--persist-to", state], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-child.pid, "SIGTERM");
      await exited;
    }
    rmSync(state, { recursive: true, force: true });
  };
  try {
    await waitForReady(child, logPath, 150_000);
  } catch (error) {
    await stop();
    throw error;
  }
  const token = /^ADMIN_TOKEN\s*=\s*"?([^"\n]+)"?/m.exec(readFileSync(".dev.vars", "utf8"))?.[1];
  const accountId = /^ACCOUNT_ID\s*=\s*"([^"]+)"/m.exec(readFileSync("wrangler.toml", "utf8"))?.[1];
  if (!token || !accountId)
    throw new Error("npm run dev left no ADMIN_TOKEN in .dev.vars or ACCOUNT_ID in wrangler.toml");
  provide("controlPlane", { baseUrl: `http://127.0.0.1:${port}/client/v4`, token, accountId });
  return stop;
}
