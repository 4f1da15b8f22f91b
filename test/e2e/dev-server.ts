import type { TestProject } from "vitest/node";
import { type DevServer, startDevServer } from "../../scripts/lib/dev-server.ts";

/** Where the tests find `npm run dev`: the DevServer without its controls. */
type ControlPlane = Omit<DevServer, "stop" | "crash">;

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
