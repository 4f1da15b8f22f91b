declare namespace Cloudflare {
  interface Env {
    /** Defined in vitest.config.ts. */
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    /** The scriptable workflow of test/fixtures/worker.ts, bound in vitest.config.ts. */
    PROBE: Workflow<import("./fixtures/worker").ProbeParams>;
  }
}
