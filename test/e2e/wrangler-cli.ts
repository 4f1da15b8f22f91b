import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { inject } from "vitest";

const run = promisify(execFile);

/** Runs `wrangler workflows …` against the control plane, as a user with these variables set would. */
export async function runWrangler(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const { baseUrl, token, accountId } = inject("controlPlane");
  return run("wrangler", ["workflows", ...args], {
    env: {
      ...process.env,
      CLOUDFLARE_API_BASE_URL: baseUrl,
      CLOUDFLARE_API_TOKEN: token,
      CLOUDFLARE_ACCOUNT_ID: accountId,
      WRANGLER_SEND_METRICS: "false",
    },
  });
}

/** What `wrangler workflows …` printed, stdout and stderr together. */
export async function wrangler(...args: string[]): Promise<string> {
  const { stdout, stderr } = await runWrangler(...args);
  return stdout + stderr;
}
