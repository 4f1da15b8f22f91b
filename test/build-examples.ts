/**
 * Builds the example Workers (examples/consumer, examples/shipping-worker) with wrangler, so the
 * Vitest workers project can run them as auxiliary workers beside the control plane
 * (vitest.config.ts calls this).
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";

/** Where an example's bundle lands. Absolute: wrangler resolves a relative --outdir from the config's folder. */
export function exampleBuild(example: "consumer" | "shipping-worker"): string {
  return resolve(import.meta.dirname, ".build", example);
}

export function buildExamples(): void {
  for (const example of ["consumer", "shipping-worker"] as const) {
    execFileSync(
      "wrangler",
      ["deploy", "--dry-run", "-c", `examples/${example}/wrangler.toml`, "--outdir", exampleBuild(example)],
      { stdio: "pipe", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
    );
  }
}
