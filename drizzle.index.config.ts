import { defineConfig } from "drizzle-kit";

// One workflow's index segment: a Durable Object's own SQLite. drizzle-kit generates the tables'
// migrations and a `migrations.js` bundle the segment applies with drizzle-orm's durable-sqlite
// migrator (wrangler bundles the `.sql` files it imports as text by default, and `wrangler types`
// declares them); the triggers' migration is rendered from src/index/triggers.ts (`npm run index:generate`).
export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./src/index/schema.ts",
  out: "./src/index/migrations",
});
