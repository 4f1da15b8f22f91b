import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Setup files run before each test file, in that file's isolated storage; applyD1Migrations
// skips what is already applied, so running it again is safe.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
