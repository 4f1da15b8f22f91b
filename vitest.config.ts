import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { buildDashboard } from "./scripts/build-dashboard.ts";
import { LOCAL_ENGINE_FLAGS } from "./scripts/lib/local-engine.ts";
import { buildExamples, exampleBuild } from "./test/build-examples.ts";

type MiniflareOverrides = Extract<Parameters<typeof cloudflareTest>[0], { miniflare?: unknown }>["miniflare"];

export default defineConfig(async () => {
  // Read on the Node side; test/apply-migrations.ts applies them inside workerd.
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  buildExamples();
  // wrangler.toml serves the dashboard's build as assets; wrangler builds it, Vitest does not.
  await buildDashboard();

  /** The scriptable workflows of test/fixtures/worker.ts: a plain one, and one that nudges. */
  const probes = [
    { name: "probe", binding: "PROBE", className: "ProbeWorkflow" },
    { name: "nudged-probe", binding: "NUDGED_PROBE", className: "NudgedProbeWorkflow" },
  ];
  /** The plain Workflow of examples/shipping-worker, which wrangler.toml binds by script name. */
  const shippingWorker = {
    name: "shipping-worker",
    modules: true,
    scriptPath: `${exampleBuild("shipping-worker")}/index.js`,
    compatibilityDate: "2026-11-01",
    compatibilityFlags: LOCAL_ENGINE_FLAGS,
    workflows: {
      SHIP_ORDER: { name: "ship-order", className: "ShipOrderWorkflow" },
      SHIP_BATCH: { name: "ship-batch", className: "ShipBatchWorkflow" },
    },
  };

  /** The Worker from wrangler.toml, plus the probes, told of them through EXTRA_WORKFLOWS. */
  const worker = ({
    workers = [],
    bindings = {},
    ...overrides
  }: MiniflareOverrides & { workers?: unknown[]; bindings?: Record<string, string> } = {}) =>
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      main: "./test/fixtures/worker.ts",
      miniflare: {
        compatibilityFlags: LOCAL_ENGINE_FLAGS,
        bindings: {
          TEST_MIGRATIONS: migrations,
          ADMIN_TOKEN: "test-admin-token",
          // Tests drive the sweeper themselves.
          SWEEP_INTERVAL: "1 hour",
          EXPIRE_IN_ENGINE: "true",
          EXTRA_WORKFLOWS: JSON.stringify(probes.map((probe) => ({ ...probe, scriptName: "workflow-control-plane" }))),
          ...bindings,
        },
        workflows: Object.fromEntries(probes.map(({ name, binding, className }) => [binding, { name, className }])),
        workers: [shippingWorker, ...workers],
        ...overrides,
      },
    });
  // The whole suite twice: with the default segment size, and with segments of 200 instances,
  // where every feature crosses segment boundaries (INDEX_SEGMENT_SIZE).
  const suiteRuns: { name: string; bindings: Record<string, string> }[] = [
    { name: "workers", bindings: {} },
    { name: "workers-segments-200", bindings: { INDEX_SEGMENT_SIZE: "200" } },
  ];
  const shared = { setupFiles: ["./test/apply-migrations.ts"], testTimeout: 30_000 };

  return {
    test: {
      projects: [
        ...suiteRuns.map(({ name, bindings }) => ({
          plugins: [
            worker({
              bindings,
              // The consumer example as an auxiliary worker, bound to this Worker as another
              // Worker would be (built above).
              workers: [
                {
                  name: "order-service",
                  modules: true,
                  scriptPath: `${exampleBuild("consumer")}/index.js`,
                  compatibilityDate: "2026-11-01",
                  serviceBindings: {
                    CONTROL_PLANE: {
                      name: `vitest-plugin-runner-${name}`,
                      entrypoint: "ControlPlane",
                      props: { caller: "order-service" },
                    },
                  },
                },
                {
                  // An Agent (the real Agents SDK) starting shipping-worker's Workflow.
                  name: "research-agent",
                  modules: true,
                  scriptPath: `${exampleBuild("agent-worker")}/index.js`,
                  compatibilityDate: "2026-11-01",
                  compatibilityFlags: ["nodejs_compat", ...LOCAL_ENGINE_FLAGS],
                  durableObjects: { ResearchAgent: { className: "ResearchAgent", useSQLite: true } },
                  workflows: {
                    SHIP_ORDER: { name: "ship-order", className: "ShipOrderWorkflow", scriptName: "shipping-worker" },
                  },
                },
              ],
              serviceBindings: { ORDER_SERVICE: "order-service", RESEARCH_AGENT: "research-agent" },
            }),
          ],
          test: {
            ...shared,
            name,
            include: ["test/**/*.test.ts"],
            exclude: ["test/e2e/**", "test/node/**", "test/nudge-failure/**"],
          },
        })),
        ...(process.env.WORKERS_BENCH
          ? [
              {
                // npm run bench:mirror only: the pull path in the Workers runtime itself.
                plugins: [worker({ bindings: { BENCH_STEPS: process.env.WORKERS_BENCH } })],
                test: { ...shared, name: "bench", include: ["bench/mirror.workers.ts"] },
              },
            ]
          : []),
        {
          // Retention as deployed: the engine forgets finished instances by itself, so the
          // retention pass deletes in the engine only what this API created (with the
          // retention it gave the engine); everything else above runs as `npm run dev` does.
          plugins: [worker({ bindings: { EXPIRE_IN_ENGINE: "false" } })],
          test: {
            ...shared,
            name: "retention-deployed",
            include: ["test/retention/**/*.test.ts", "test/faults/expiry.test.ts"],
          },
        },
        {
          // Every nudge fails here: CONTROL_PLANE is a plain fetch service without the RPC method.
          plugins: [worker({ serviceBindings: { CONTROL_PLANE: () => new Response("unavailable", { status: 503 }) } })],
          test: { ...shared, name: "nudge-failure", include: ["test/nudge-failure/**/*.test.ts"] },
        },
      ],
    },
  };
});
