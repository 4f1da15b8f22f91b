/**
 * Every benchmark and check whose figures docs/benchmarks.md publishes: the npm script that
 * measures it (with the parameters the published figures use), the results file it writes, the
 * code its figures describe (a commit touching any of these paths makes them stale) and its
 * targets. scripts/bench-report.ts renders and checks docs/benchmarks.md from this and the files.
 */

export type Target = { at: ">=" | "<="; value: number; from: string };

export type Benchmark = {
  /** bench/results/<name>.json */
  name: string;
  title: string;
  /** The npm script that measures it. */
  script: string;
  /** The parameters of the published figures (`npm run <script> -- <args>`). */
  published: string[];
  /** Roughly how long a run with the published parameters takes on the 2-core machine. */
  duration: string;
  /** Files and folders (ending in "/") whose change makes the figures stale. */
  paths: string[];
  /** By figure key. */
  targets?: Record<string, Target>;
  /**
   * Why no figure is published while the code it measures is being replaced: a withdrawn
   * benchmark needs no results file, and any it has is not shown.
   */
  withdrawn?: string;
  /** What this path includes that cannot be measured here, said as such instead of a number. */
  unmeasured?: { label: string; why: string }[];
};

/**
 * What serves every request a benchmark sends: `npm run dev` of bench/worker.ts (with its own
 * index segment class and index routes), its request pipeline, D1's schema.
 */
const HARNESS = [
  "bench/worker.ts",
  "bench/segment.workers.ts",
  "bench/index-routes.workers.ts",
  "bench/wrangler-config.ts",
  "scripts/lib/bench.ts",
  "scripts/lib/dev-server.ts",
  "scripts/lib/local-engine.ts",
  "scripts/dev.ts",
  "scripts/lib/dev.ts",
  "scripts/lib/dev-workers.ts",
  "scripts/lib/binding-table.ts",
  "scripts/lib/workflow-bindings.ts",
  "wrangler.toml",
  "migrations/",
  "src/index.ts",
  "src/worker.ts",
  "src/app.ts",
  "src/env.ts",
  "src/middleware/",
  "src/access/",
  "src/lib/",
  "src/db/",
  "src/generated/",
  "src/services/deps.ts",
  "src/services/engines.ts",
  "src/services/engine-guard.ts",
  "src/services/engine-errors.ts",
];

/**
 * The path from an engine event to the index: journals, the index writers, summaries, the
 * routing of writes to segments and the segment's write side (its tables and triggers).
 */
const MIRROR = [
  "src/index/journal/",
  "src/index/writer.ts",
  "src/index/summaries.ts",
  "src/index/workflow-index.ts",
  "src/index/directory.ts",
  "src/index/config.ts",
  "src/index/segment.ts",
  "src/index/segment-db.ts",
  "src/index/schema.ts",
  "src/index/triggers.ts",
  "src/index/migrations/",
  "src/domain/",
  "src/services/instances/mirror.ts",
  "src/services/instances/summary.ts",
  "src/services/instances/engine-events.ts",
];

export const BENCHMARKS: readonly Benchmark[] = [
  {
    name: "create",
    title: "Instance creation",
    script: "bench",
    // 3 × 6 × 300 creates: each instance holds files open in local workerd, and past about
    // 7,000 instances a run exhausts the 20,000 descriptors a process may hold here.
    published: ["--requests", "300", "--concurrency", "16", "--rounds", "6"],
    duration: "about 3 minutes",
    paths: [
      ...HARNESS,
      ...MIRROR,
      "bench/create-rate.ts",
      "src/routes/instances.ts",
      "src/schemas/",
      "src/services/instances/",
      "src/services/audit/",
      "src/services/retention/",
      "src/services/workflows.ts",
      "src/services/versions.ts",
      "src/workflows/hello-world.ts",
    ],
    targets: { ratio: { at: ">=", value: 0.9, from: "issue 27" } },
  },
  {
    name: "list",
    title: "Listing at a million instances",
    script: "bench:list",
    published: ["--rows", "1000000", "--samples", "200"],
    duration: "about 10 minutes (seeding a million rows)",
    paths: [
      ...HARNESS,
      "bench/list-scale.ts",
      "src/routes/instances.ts",
      "src/routes/workflows.ts",
      "src/routes/labels.ts",
      "src/schemas/",
      "src/domain/",
      "src/index/",
      "src/services/instances/list.ts",
      "src/services/instances/counts.ts",
      "src/services/instances/expired.ts",
      "src/services/workflows.ts",
    ],
    targets: {
      "ratio.first-page": { at: "<=", value: 1.2, from: "issue 27" },
      "ratio.status-running-first-page": { at: "<=", value: 1.2, from: "issue 27" },
      "ratio.cursor-newest-first": { at: "<=", value: 1.2, from: "issue 27" },
      "ratio.ten-segments": { at: "<=", value: 2, from: "issue 27" },
      "p50.full-counts": { at: "<=", value: 20, from: "issue 27" },
      "p50.get-workflows-100-workflows": { at: "<=", value: 100, from: "issue 27" },
    },
  },
  {
    name: "labels",
    title: "Labels at a million instances",
    script: "bench:labels",
    published: ["--rows", "1000000", "--samples", "200", "--creates", "300", "--rounds", "4"],
    duration: "about 10 minutes (seeding a million labelled rows)",
    paths: [
      ...HARNESS,
      ...MIRROR,
      "bench/labels.ts",
      "src/index/",
      "src/routes/instances.ts",
      "src/routes/labels.ts",
      "src/schemas/",
      "src/services/instances/",
      "src/services/audit/",
      "src/services/retention/",
      "src/workflows/hello-world.ts",
    ],
    targets: {
      "ratio.selector-status": { at: "<=", value: 1.3, from: "the labels issue" },
      "p50.counts-tenant": { at: "<=", value: 50, from: "issue 27" },
      "ratio.create-labelled": { at: ">=", value: 0.85, from: "the labels issue" },
    },
  },
  {
    name: "metrics",
    title: "Metrics at a million instances",
    script: "bench:metrics",
    published: ["--rows", "1000000", "--samples", "200", "--transitions", "500", "--rounds", "6"],
    duration: "about 5 minutes",
    paths: [
      ...HARNESS,
      ...MIRROR,
      "bench/metrics.ts",
      "src/index/",
      "src/routes/metrics.ts",
      "src/schemas/metrics.ts",
      "src/services/metrics.ts",
    ],
    targets: {
      "p50.hourly": { at: "<=", value: 50, from: "issue 27" },
      "added.batched": { at: "<=", value: 10, from: "the metrics issue" },
    },
  },
  {
    name: "bulk",
    title: "Bulk jobs",
    script: "bench:bulk",
    published: ["--instances", "2000", "--loop", "100", "--turns", "8"],
    duration: "about 8 minutes",
    paths: [
      ...HARNESS,
      ...MIRROR,
      "bench/bulk.ts",
      "src/routes/bulk.ts",
      "src/routes/instances.ts",
      "src/schemas/",
      "src/services/bulk/",
      "src/services/instances/",
      "src/services/audit/",
      "src/workflows/order-approval.ts",
    ],
    targets: {
      "ratio.pause": { at: ">=", value: 0.9, from: "issue 27" },
      "ratio.terminate": { at: ">=", value: 0.9, from: "issue 27" },
    },
  },
  {
    name: "mirror",
    title: "Mirror",
    script: "bench:mirror",
    published: [],
    duration: "about 6 minutes",
    paths: [
      ...HARNESS,
      ...MIRROR,
      "bench/mirror.ts",
      "bench/mirror.workers.ts",
      "vitest.config.ts",
      "src/rpc/mirror-sync.ts",
      "examples/shipping-worker/",
    ],
    targets: { "rate.ten-at-once": { at: ">=", value: 3000, from: "the mirror issue" } },
  },
  {
    name: "freshness",
    title: "Freshness",
    script: "bench:freshness",
    published: ["--instances", "200", "--changes", "50", "--every", "200"],
    duration: "about 6 minutes",
    paths: [
      ...HARNESS,
      ...MIRROR,
      "bench/freshness.ts",
      "src/routes/instances.ts",
      "src/schemas/",
      "src/services/instances/",
      "src/rpc/",
      "src/tracking/",
      "src/workflows/order-approval.ts",
    ],
    targets: { "p95.sweep": { at: "<=", value: 5, from: "the freshness issue" } },
    unmeasured: [
      {
        label: "Event Subscriptions: Cloudflare's delivery from the engine to the Queue",
        why: "the local engine emits no Event Subscriptions; the figure above starts at the Queue send",
      },
    ],
  },
  {
    name: "transitions",
    title: "Transitions into one workflow's index",
    script: "bench:transitions",
    published: ["--rows", "100000", "--transitions", "2000", "--rounds", "6"],
    duration: "about 3 minutes",
    paths: [...HARNESS, ...MIRROR, "bench/transitions.ts"],
    targets: { "rate.writers": { at: ">=", value: 2000, from: "issue 27" } },
  },
  {
    name: "capacity",
    title: "Capacity",
    script: "bench:capacity",
    published: ["--instances", "500", "--journals", "20"],
    duration: "about 5 minutes",
    paths: [
      ...HARNESS,
      ...MIRROR,
      "bench/capacity.ts",
      "src/index/",
      "src/routes/labels.ts",
      "src/routes/workflows.ts",
      "src/services/retention/",
      "src/services/instances/",
      "examples/shipping-worker/",
    ],
  },
  {
    name: "crash",
    title: "Crash check (SIGKILL mid-burst)",
    script: "check:crash",
    published: ["--clients", "8", "--seconds", "4", "--rate", "150"],
    duration: "about 3 minutes",
    paths: [...HARNESS, "scripts/crash-check.ts", "scripts/lib/random.ts", "src/"],
    targets: { failed: { at: "<=", value: 0, from: "the crash issue" } },
  },
  {
    name: "bulk-resume",
    title: "Bulk job resume after SIGKILL",
    script: "check:bulk-resume",
    published: ["--action", "terminate", "--instances", "300", "--kill-after", "500"],
    duration: "about 2 minutes",
    paths: [
      ...HARNESS,
      ...MIRROR,
      "scripts/bulk-resume-check.ts",
      "src/routes/bulk.ts",
      "src/services/bulk/",
      "src/services/instances/",
      "src/workflows/order-approval.ts",
    ],
    targets: { failed: { at: "<=", value: 0, from: "the bulk issue" } },
  },
  {
    name: "fuzz",
    title: "Fuzzing every operation",
    script: "fuzz",
    published: ["--requests", "30000", "--concurrency", "16", "--seed", "1"],
    duration: "about 12 minutes (100,000 requests take about 33)",
    paths: [...HARNESS, "scripts/fuzz.ts", "scripts/lib/fuzz/", "scripts/lib/random.ts", "src/"],
    targets: { "server-errors": { at: "<=", value: 0, from: "the fuzz issue" } },
  },
];

/**
 * Packages whose version changes what a run measures: the local runtime and the Worker's own
 * dependencies. A results file records them; a different version in package-lock.json makes it
 * stale. Other packages (linters, test runners, type checkers) do not.
 */
export const RUNTIME_PACKAGES = ["wrangler", "workerd", "miniflare"];

export function benchmarkNamed(name: string): Benchmark {
  const found = BENCHMARKS.find((benchmark) => benchmark.name === name);
  if (!found) throw new Error(`no benchmark named ${name} in bench/registry.ts`);
  return found;
}
