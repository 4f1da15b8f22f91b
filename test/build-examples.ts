/**
 * Builds the example Workers (examples/consumer, examples/shipping-worker, examples/agent-worker)
 * with wrangler, so the
 * Vitest workers project can run them as auxiliary workers beside the control plane
 * (vitest.config.ts calls this).
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";

/** Where an example's bundle lands. Absolute: wrangler resolves a relative --outdir from the config's folder. */
type Example = "consumer" | "shipping-worker" | "agent-worker";

export function exampleBuild(example: Example): string {
  return resolve(import.meta.dirname, ".build", example);
}

export function buildExamples(): void {
  for (const example of ["consumer", "shipping-worker", "agent-worker"] satisfies Example[]) {
    execFileSync(
      "wrangler",
      ["deploy", "--dry-run", "-c", `examples/${example}/wrangler.toml`, "--outdir", exampleBuild(example)],
      { stdio: "pipe", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
    );
  }
}
