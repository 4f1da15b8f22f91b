declare namespace Cloudflare {
  interface Env {
    /** Defined in vitest.config.ts. */
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    /** The scriptable workflows of test/fixtures/worker.ts, bound in vitest.config.ts. */
    PROBE: Workflow<import("./fixtures/worker").ProbeParams>;
    NUDGED_PROBE: Workflow<import("./fixtures/worker").ProbeParams>;
    /** How many steps bench/mirror.workers.ts runs (npm run bench:mirror). */
    BENCH_STEPS?: string;
    /** The consumer example (examples/consumer), an auxiliary worker in vitest.config.ts. */
    ORDER_SERVICE: Fetcher;
    /** examples/agent-worker: an Agent starting Workflows with `this.runWorkflow()`. */
    RESEARCH_AGENT: Fetcher;
  }
}

/** Vite's raw imports: the text of a file (test/docs.test.ts reads docs/api.md). */
declare module "*?raw" {
  const text: string;
  export default text;
}
