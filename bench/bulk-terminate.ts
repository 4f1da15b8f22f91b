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
import {
  createOrders,
  instanceCounts,
  numberArgs,
  startBenchServer,
  untilAllStarted,
  untilJobDone,
  workflowApi,
} from "../scripts/lib/bench.ts";

const {
  instances: bulkCount,
  loop: loopCount,
  bare: bareCount,
} = numberArgs({ instances: 10_000, loop: 1000, bare: 1000 });

const server = await startBenchServer("bench/results/bulk-terminate.log");
const call = workflowApi(server, "order-approval");

try {
  const run = Date.now().toString(36);
  const ids = Array.from({ length: bulkCount + loopCount + bareCount }, (_, index) => `bulk-${run}-${index}`);
  console.log(`Creating ${ids.length.toLocaleString("en")} order-approval instances…`);
  await createOrders(call, ids, (created) => {
    if (created % 1000 === 0) process.stdout.write(`\r  created ${created.toLocaleString("en")}`);
  });
  process.stdout.write("\n  waiting until every one has started…");
  await untilAllStarted(call, 1000);
  console.log(" done");
  const before = await instanceCounts(call);

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
  const { result: job } = await call<{ id: string }>("/instances/bulk", {
    method: "POST",
    body: JSON.stringify({ action: "terminate", instance_ids: bulkIds }),
  });
  const view = await untilJobDone(call, job.id, 200);
  const bulkSeconds = (performance.now() - bulkStarted) / 1000;

  // Verification: the ledger, the index counts, and the engine itself (a sample).
  const after = await instanceCounts(call);
  const sample = bulkIds.filter((_, index) => index % Math.ceil(bulkIds.length / 200) === 0);
  const engineStatuses = await Promise.all(
    sample.map(async (id) => (await call<{ status: string }>(`/instances/${id}?simple=true`)).result),
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
