/**
 * `npm run dev [-- <wrangler dev flags>]`: this repository's own deployment on this machine (see
 * scripts/lib/dev.ts). Its wrangler.toml binds Workflows of examples/shipping-worker by script
 * name, so that Worker runs in the same `wrangler dev`, after the configs given (the first is the
 * one served).
 */
import { runDev } from "./lib/dev.ts";

runDev(process.argv.slice(2), {
  alongside: ["examples/shipping-worker/wrangler.toml"],
  typesFrom: "../domain/deployed-workflow",
});
