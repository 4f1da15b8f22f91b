/**
 * `npm run bench:bulk`: terminating many running `order-approval` instances with one bulk job,
 * against a loop of single `PATCH …/status` calls in the same run.
 *
 *   npm run bench:bulk -- [--instances 10000] [--loop 1000] [--bare 1000]
 *
 * Creates `instances` + `loop` + `bare` instances (batch create, 100 a request) and waits until
 * all have started. Then terminates `loop` of them one PATCH at a time (a sample: the full loop
 * would take many minutes), `bare` of them with bare binding calls from inside the Worker at the
 * job's concurrency (what the local engine itself can do, with nothing recorded), and the other
 * `instances` with one bulk job. Afterwards it checks that every one of them is terminated, in
 * the job's ledger, in the index, and in the engine. Only 127.0.0.1 is targeted.
 */
import { parseArgs } from "node:util";
import { startDevServer } from "../scripts/lib/dev-server.ts";

const { values } = parseArgs({
  options: {
    instances: { type: "string", default: "10000" },
    loop: { type: "string", default: "1000" },
    bare: { type: "string", default: "1000" },
  },
});
const bulkCount = Number(values.instances);
const loopCount = Number(values.loop);
const bareCount = Number(values.bare);

const server = await startDevServer({
  logPath: "bench/results/bulk-terminate.log",
  flags: ["--var", "BENCH_ROUTES:true"],
});
const headers = { Authorization: `Bearer ${server.token}`, "Content-Type": "application/json" };
const workflow = `${server.baseUrl}/accounts/${server.accountId}/workflows/order-approval`;

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(`${workflow}${path}`, { headers, ...init });
  const body = (await response.json()) as { success: boolean; result: T };
  if (!response.ok || !body.success) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
  return body.result;
}

type Counts = Record<string, number>;
const counts = async () => (await call<{ instances: Counts }>("")).instances;

try {
  const run = Date.now().toString(36);
  const ids = Array.from({ length: bulkCount + loopCount + bareCount }, (_, index) => `bulk-${run}-${index}`);
  console.log(`Creating ${ids.length.toLocaleString("en")} order-approval instances…`);
  for (let start = 0; start < ids.length; start += 100) {
    const batch = ids
      .slice(start, start + 100)
      .map((instance_id) => ({ instance_id, params: { orderId: instance_id, amount: 1 } }));
    await call("/instances/batch", { method: "POST", body: JSON.stringify(batch) });
    if ((start / 100) % 10 === 9) process.stdout.write(`\r  created ${(start + 100).toLocaleString("en")}`);
  }
  process.stdout.write("\n  waiting until every one has started…");
  for (;;) {
    const current = await counts();
    if ((current.queued ?? 0) === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  console.log(" done");
  const before = await counts();

  const loopIds = ids.slice(0, loopCount);
  const loopStarted = performance.now();
  for (const id of loopIds) {
    await call(`/instances/${id}/status`, { method: "PATCH", body: JSON.stringify({ status: "terminate" }) });
  }
  const loopSeconds = (performance.now() - loopStarted) / 1000;

  const bareIds = ids.slice(loopCount, loopCount + bareCount);
  const bareResponse = await fetch(`${new URL(server.baseUrl).origin}/__bench/bare-terminate`, {
    method: "POST",
    body: JSON.stringify(bareIds),
  });
  const bareSeconds = ((await bareResponse.json()) as { ms: number }).ms / 1000;
  // Bare calls leave the index behind; reading each instance brings it up to date.
  for (const id of bareIds) await call(`/instances/${id}?simple=true`);

  const bulkIds = ids.slice(loopCount + bareCount);
  const bulkStarted = performance.now();
  const job = await call<{ id: string }>("/instances/bulk", {
    method: "POST",
    body: JSON.stringify({ action: "terminate", instance_ids: bulkIds }),
  });
  let view: { status: string; succeeded: number; skipped: number; failed: number; total: number };
  for (;;) {
    view = await call(`/bulk/${job.id}`);
    if (view.status !== "queued" && view.status !== "running") break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const bulkSeconds = (performance.now() - bulkStarted) / 1000;

  // Verification: the ledger, the index counts, and the engine itself (a sample).
  const after = await counts();
  const sample = bulkIds.filter((_, index) => index % Math.ceil(bulkIds.length / 200) === 0);
  const engineStatuses = await Promise.all(
    sample.map((id) => call<{ status: string }>(`/instances/${id}?simple=true`)),
  );
  const notTerminated = engineStatuses.filter((instance) => instance.status !== "terminated").length;
  const terminatedDelta = (after.terminated ?? 0) - (before.terminated ?? 0);

  const loopRate = loopCount / loopSeconds;
  const bareRate = bareCount / bareSeconds;
  const bulkRate = bulkCount / bulkSeconds;
  console.log("");
  console.log(`Loop of single PATCH calls (a sample of ${loopCount.toLocaleString("en")}):`);
  console.log(`  ${loopSeconds.toFixed(1)} s, ${loopRate.toFixed(0)} instances/s`);
  console.log(`Bare binding calls in the Worker, nothing recorded (${bareCount.toLocaleString("en")}):`);
  console.log(`  ${bareSeconds.toFixed(1)} s, ${bareRate.toFixed(0)} instances/s: the local engine's ceiling`);
  console.log(`One bulk job over ${bulkCount.toLocaleString("en")} instances:`);
  console.log(
    `  ${bulkSeconds.toFixed(1)} s, ${bulkRate.toFixed(0)} instances/s (${(bulkRate / loopRate).toFixed(1)}× the loop)`,
  );
  console.log(
    `  ledger: ${view.succeeded} succeeded, ${view.skipped} skipped, ${view.failed} failed of ${view.total}; job ${view.status}`,
  );
  console.log(`  index: terminated count rose by ${terminatedDelta} (expected ${ids.length})`);
  console.log(`  engine: ${sample.length - notTerminated} of ${sample.length} sampled instances terminated`);
  if (view.succeeded !== bulkCount || notTerminated > 0 || terminatedDelta !== ids.length) {
    process.exitCode = 1;
    console.log("  VERIFICATION FAILED");
  }
} finally {
  await server.stop();
}
