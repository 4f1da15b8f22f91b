import { defineConfig } from "vitest/config";

/** Tests of Node-side scripts that need neither workerd nor `npm run dev` (git, files). */
export default defineConfig({
  test: { include: ["test/node/**/*.test.ts"], testTimeout: 30_000 },
});
