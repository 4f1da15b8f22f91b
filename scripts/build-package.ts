/**
 * `prepare`: what the package ships besides its sources, so a deployment's repository needs no
 * build tools of its own: the CLI as one JavaScript module (Node does not strip types under
 * node_modules), and the dashboard's static files. npm runs it on install of this repository and
 * of a git dependency on it.
 */
import { build } from "esbuild";
import { buildDashboard } from "./build-dashboard.ts";

await build({
  entryPoints: [new URL("cli.ts", import.meta.url).pathname],
  outfile: new URL("../dist/cli.mjs", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  packages: "external",
  banner: { js: "#!/usr/bin/env node" },
  logLevel: "warning",
});
await buildDashboard();
