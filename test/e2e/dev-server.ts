import type { TestProject } from "vitest/node";
import { startDevServer } from "../../scripts/lib/dev-server.ts";

export type ControlPlane = { baseUrl: string; token: string; accountId: string };

declare module "vitest" {
  export interface ProvidedContext {
    controlPlane: ControlPlane;
  }
}

/** One `npm run dev` for all e2e files, started the way the README does. */
export default async function setup({ provide }: TestProject) {
  const {
    stop,
    crash: _crash,
    ...controlPlane
  } = await startDevServer({ logPath: "test/e2e/.artifacts/dev-server.log" });
  provide("controlPlane", controlPlane);
  return stop;
}
