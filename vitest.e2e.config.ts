import { defineConfig } from "vitest/config";

/** End-to-end checks in Node: `npm run dev` as the README starts it, driven by the real SDK and wrangler. */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["./test/e2e/dev-server.ts"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
