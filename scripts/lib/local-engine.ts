/**
 * Production defaults that the local Workflows engine applies only when they are listed: it runs
 * at compatibility date 2024-10-22 plus the Worker's explicit flags. Deployed Workers (dated
 * 2026-11-01) have them by default, so wrangler.toml does not list them; `npm run dev` and the
 * tests do.
 */
export const LOCAL_ENGINE_FLAGS = ["workflows_preserve_non_retryable_error_message"];
