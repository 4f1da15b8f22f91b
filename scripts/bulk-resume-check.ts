/**
 * `npm run check:bulk-resume`: a bulk job survives `wrangler dev` being killed with SIGKILL.
 *
 *   npm run check:bulk-resume -- [--instances 300]
 *
 * Starts `npm run dev` on its own state, creates `instances` order-approval instances, submits
 * one bulk terminate over all of them, and SIGKILLs the whole dev server (wrangler and workerd)
 * once the job is part-way. Starts it again on the same state, waits for the job to finish, and
 * checks the ledger: every instance accounted for exactly once, every one terminated in the
 * engine. Exits non-zero if anything is off. Only 127.0.0.1 is targeted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type BulkJob,
  createOrders,
  numberArgs,
  sleep,
  untilAllStarted,
  untilJobDone,
  workflowApi,
} from "./lib/bench.ts";
import { startDevServer } from "./lib/dev-server.ts";

const { instances: count } = numberArgs({ instances: 300 });
const state = mkdtempSync(join(tmpdir(), "control-plane-resume-"));
const logPath = "bench/results/bulk-resume.log";

type Result = { instance_id: string; outcome: string; reason: string | null; attempts: number };

let server = await startDevServer({ logPath, persistTo: state });
try {
  let call = workflowApi(server, "order-approval");
  const run = Date.now().toString(36);
  const ids = Array.from({ length: count }, (_, index) => `resume-${run}-${index}`);
  await createOrders(call, ids);
  await untilAllStarted(call, 500);
  const { result: job } = await call<BulkJob>("/instances/bulk", {
    method: "POST",
    body: JSON.stringify({ action: "terminate", instance_ids: ids }),
  });
  console.log(`Job ${job.id}: terminating ${job.total} instances`);

  let before: BulkJob;
  do {
    await sleep(100);
    before = (await call<BulkJob>(`/bulk/${job.id}`)).result;
  } while (before.total - before.pending < Math.ceil(count / 5) && before.status === "running");
  if (before.status !== "running")
    throw new Error(`the job ended before it could be interrupted: ${JSON.stringify(before)}`);
  // The next chunk is under way a second later (a chunk of 100 takes about two here).
  await sleep(1000);
  await server.crash();
  console.log(
    `SIGKILLed wrangler dev during the chunk after ${before.total - before.pending} of ${before.total} were done`,
  );

  server = await startDevServer({ logPath, persistTo: state });
  call = workflowApi(server, "order-approval");
  const restarted = performance.now();
  const after = await untilJobDone(call, job.id, 250);
  console.log(
    `Restarted on the same state: the job finished ${((performance.now() - restarted) / 1000).toFixed(1)} s later, ${after.status}`,
  );

  const results: Result[] = [];
  let cursor: string | undefined;
  do {
    const page = await call<Result[]>(`/bulk/${job.id}/results?per_page=1000${cursor ? `&cursor=${cursor}` : ""}`);
    results.push(...page.result);
    cursor = page.result_info?.cursor;
  } while (cursor);
  const seen = new Set(results.map((result) => result.instance_id));
  const engine = await Promise.all(
    ids.map(async (id) => (await call<{ status: string }>(`/instances/${id}?simple=true`)).result.status),
  );
  const reasons = new Map<string, number>();
  for (const result of results) {
    const key = `${result.outcome}${result.reason ? ` (${result.reason})` : ""}`;
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
  }
  console.log(
    `Ledger: ${after.succeeded} succeeded, ${after.skipped} skipped, ${after.failed} failed of ${after.total}`,
  );
  for (const [reason, n] of reasons) console.log(`  ${n} × ${reason}`);
  const retried = results.filter((result) => result.attempts > 1).length;
  console.log(`  ${retried} items were in flight when the process died and were tried again after the restart`);
  const checks = [
    [`${results.length} ledger rows for ${count} instances`, results.length === count],
    ["each instance exactly once", seen.size === count && ids.every((id) => seen.has(id))],
    ["no item left pending or failed", after.pending === 0 && after.failed === 0],
    ["every instance terminated in the engine", engine.every((status) => status === "terminated")],
  ] as const;
  for (const [name, ok] of checks) console.log(`  ${ok ? "ok  " : "FAIL"} ${name}`);
  if (checks.some(([, ok]) => !ok)) process.exitCode = 1;
} finally {
  await server.stop();
  rmSync(state, { recursive: true, force: true });
}
