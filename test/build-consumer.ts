/**
 * Builds the consumer example (examples/consumer) with wrangler, so the Vitest workers project
 * can run it as an auxiliary worker bound to the control plane (vitest.config.ts calls this).
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";

/** Absolute: wrangler resolves a relative --outdir from the config file's folder. */
export const CONSUMER_BUILD = resolve(import.meta.dirname, ".build/consumer");

export function buildConsumer(): void {
  execFileSync(
    "wrangler",
    ["deploy", "--dry-run", "-c", "examples/consumer/wrangler.toml", "--outdir", CONSUMER_BUILD],
    { stdio: "pipe", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
}
