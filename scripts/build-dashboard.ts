/**
 * Builds the dashboard into dashboard/dist, which wrangler serves as static assets: the files of
 * dashboard/public as they are, and dashboard/src bundled into one script, app.js, with the CSS
 * it imports (uPlot's) in app.css beside it. wrangler runs this before `wrangler dev` and
 * `wrangler deploy` ([build] in wrangler.toml); the Vitest config runs it too. Nothing is
 * fetched at run time: Preact and uPlot are bundled in.
 */
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "../dashboard");
const DASHBOARD_DIST = resolve(root, "dist");

export async function buildDashboard(): Promise<void> {
  rmSync(DASHBOARD_DIST, { recursive: true, force: true });
  mkdirSync(DASHBOARD_DIST, { recursive: true });
  cpSync(resolve(root, "public"), DASHBOARD_DIST, { recursive: true });
  await build({
    entryPoints: [resolve(root, "src/main.tsx")],
    outfile: resolve(DASHBOARD_DIST, "app.js"),
    bundle: true,
    format: "esm",
    target: "es2022",
    jsx: "automatic",
    jsxImportSource: "preact",
    minify: true,
    sourcemap: "linked",
    legalComments: "none",
    logLevel: "warning",
  });
}

if (import.meta.main) await buildDashboard();
