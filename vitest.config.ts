import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { buildDashboard } from "./scripts/build-dashboard.ts";
import { LOCAL_ENGINE_FLAGS } from "./scripts/lib/local-engine.ts";
import { buildConsumer, CONSUMER_BUILD } from "./test/build-consumer.ts";

type MiniflareOverrides = Extract<Parameters<typeof cloudflareTest>[0], { miniflare?: unknown }>["miniflare"];

export default defineConfig(async () => {
  // Read on the Node side; test/apply-migrations.ts applies them inside workerd.
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  buildConsumer();
  // wrangler.toml serves the dashboard's build as assets; wrangler builds it, Vitest does not.
  await buildDashboard();

  /** The Worker from wrangler.toml, plus the scriptable ProbeWorkflow of test/fixtures/worker.ts. */
  const worker = (overrides: MiniflareOverrides = {}) =>
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      main: "./test/fixtures/worker.ts",
      miniflare: {
        compatibilityFlags: LOCAL_ENGINE_FLAGS,
        bindings: { TEST_MIGRATIONS: migrations, ADMIN_TOKEN: "test-admin-token" },
        workflows: { PROBE: { name: "probe", className: "ProbeWorkflow" } },
        ...overrides,
      },
    });
  const shared = { setupFiles: ["./test/apply-migrations.ts"], testTimeout: 30_000 };

  return {
    test: {
      projects: [
        {
          plugins: [
            worker({
              // The consumer example as an auxiliary worker, bound to this Worker as another
              // Worker would be (built above).
              workers: [
                {
                  name: "order-service",
                  modules: true,
                  scriptPath: `${CONSUMER_BUILD}/index.js`,
                  compatibilityDate: "2026-11-01",
                  serviceBindings: {
                    CONTROL_PLANE: {
                      name: "vitest-plugin-runner-workers",
                      entrypoint: "ControlPlane",
                      props: { caller: "order-service" },
                    },
                  },
                },
              ],
              serviceBindings: { ORDER_SERVICE: "order-service" },
            }),
          ],
          test: {
            ...shared,
            name: "workers",
            include: ["test/**/*.test.ts"],
            exclude: ["test/e2e/**", "test/recording-failure/**"],
          },
        },
        {
          // Every report fails here: CONTROL_PLANE is a plain fetch service without the RPC method.
          plugins: [worker({ serviceBindings: { CONTROL_PLANE: () => new Response("unavailable", { status: 503 }) } })],
          test: { ...shared, name: "recording-failure", include: ["test/recording-failure/**/*.test.ts"] },
        },
      ],
    },
  };
});
