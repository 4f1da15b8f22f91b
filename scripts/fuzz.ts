/**
 * `npm run fuzz`: every operation of the OpenAPI document the Worker serves, against a fresh
 * `npm run dev` on 127.0.0.1. It refuses to start when the document and its operation table
 * (scripts/lib/fuzz/operations.ts) differ. Then, in order:
 *   1. refusals: no, wrong or too weak tokens, another account, broken JSON, an oversized body,
 *      junk path and query values, through every operation at guarded fixtures: each must be
 *      4xx in the API's envelope, and a snapshot of the guarded state must not change;
 *   2. scenarios that use every operation and check what it did (scripts/lib/fuzz/scenarios.ts);
 *   3. random traffic, valid or broken, over every operation;
 *   4. nothing stored was lost: the guarded state as before, every instance created still there.
 * Any 5xx, a 4xx outside the envelope, a refusal accepted, a failed check, or an operation never
 * answered 2xx or never refused fails the run.
 *
 *   npm run fuzz -- [--requests 100000] [--concurrency 16] [--seed 1]
 */

import { numberArgs } from "./lib/bench.ts";
import { startDevServer } from "./lib/dev-server.ts";
import { createClient } from "./lib/fuzz/client.ts";
import { LIVE_WORKFLOW, operationsOf } from "./lib/fuzz/operations.ts";
import { sendRefusals } from "./lib/fuzz/refusals.ts";
import { runScenarios } from "./lib/fuzz/scenarios.ts";
import { compareSnapshots, createFixtures, listAll, snapshot } from "./lib/fuzz/state.ts";
import { sendTraffic } from "./lib/fuzz/traffic.ts";
import { seededRandom } from "./lib/random.ts";
import { startResults, writeResults } from "./lib/results.ts";

const provenance = startResults("fuzz");

/** What a run found, as a plain object others can pass on (a results file, a report). */
export type FuzzSummary = {
  seed: number;
  concurrency: number;
  operationsDocumented: number;
  operationsCovered: number;
  requestsSent: number;
  randomRequests: number;
  refusalsSent: number;
  /** Answers 502 with code 10901: the engine failed and the API reported it (not a failure of the API). */
  engineFailures: string[];
  statuses: Record<string, number>;
  failures: string[];
  durationSeconds: number;
};

const { requests, concurrency, seed } = numberArgs({ requests: 100_000, concurrency: 16, seed: 1 });
const server = await startDevServer({ logPath: "bench/results/fuzz.log" });
const origin = new URL(server.baseUrl).origin;
const client = createClient({ origin, accountId: server.accountId, adminToken: server.token });
const started = performance.now();
let summary: FuzzSummary | undefined;
try {
  const document = (await (await fetch(`${server.baseUrl}/openapi.json`)).json()) as Parameters<typeof operationsOf>[0];
  const operations = operationsOf(document);
  console.log(`${operations.length} operations in the OpenAPI document, each in the fuzz's table`);

  const fixtures = await createFixtures(client, server.accountId, 20);
  const initial = await snapshot(client, fixtures, true);
  const refusalsSent = await sendRefusals(client, operations, fixtures, Math.min(concurrency, 4));
  client.failures.push(...compareSnapshots(initial, await snapshot(client, fixtures, true), "by refused requests"));
  console.log(`  ${refusalsSent.toLocaleString("en")} refused requests`);

  await runScenarios(client, fixtures, origin);
  const { createdInstances } = await sendTraffic(client, operations, fixtures, {
    requests,
    concurrency,
    random: seededRandom(seed),
  });

  const { settings: _changedByTraffic, ...durable } = initial;
  client.failures.push(...compareSnapshots(durable, await snapshot(client, fixtures, false), "by the random traffic"));
  const stored = new Set((await listAll(client, LIVE_WORKFLOW, "")).map((instance) => instance.id));
  const lost = [...createdInstances, ...fixtures.live].filter((id) => !stored.has(id));
  if (lost.length > 0)
    client.fail(`${lost.length} instances no request deleted are gone: ${lost.slice(0, 20).join(", ")}`);

  for (const operation of operations) {
    const counted = client.stats.get(operation.key);
    if (!counted?.ok) client.fail(`${operation.key} was never answered 2xx`);
    if (!counted?.refused) client.fail(`${operation.key} was never refused`);
  }
  summary = {
    seed,
    concurrency,
    operationsDocumented: operations.length,
    operationsCovered: operations.filter((operation) => (client.stats.get(operation.key)?.ok ?? 0) > 0).length,
    requestsSent: client.sent,
    randomRequests: requests,
    refusalsSent,
    statuses: Object.fromEntries(
      [...client.histogram].sort(([a], [b]) => a - b).map(([status, n]) => [String(status), n]),
    ),
    failures: [...client.failures],
    engineFailures: [...client.engineFailures],
    durationSeconds: Math.round((performance.now() - started) / 1000),
  };
} catch (error) {
  client.fail(error instanceof Error ? error.message : String(error));
} finally {
  await server.stop();
}

// ---- The run's end: the summary, printed (pass `summary` on from here) -----------------------
if (summary) {
  printSummary(summary);
  writeFigures(summary);
} else for (const failure of client.failures) console.log(failure);
process.exitCode = summary && summary.failures.length === 0 ? 0 : 1;

function writeFigures(run: FuzzSummary): void {
  const tally = { unit: "", digits: 0, timed: `requests from ${run.concurrency} clients, seed ${run.seed}` };
  const serverErrors =
    Object.entries(run.statuses)
      .filter(([status]) => status === "0" || status.startsWith("5"))
      .reduce((sum, [, count]) => sum + count, 0) - run.engineFailures.length;
  writeResults(provenance, {
    params: { requests, concurrency, seed },
    samples: { "answers by status": run.statuses, failures: run.failures },
    figures: [
      { ...tally, key: "operations", label: "operations of the OpenAPI document", value: run.operationsDocumented },
      { ...tally, key: "covered", label: "operations answered 2xx and refused", value: run.operationsCovered },
      { ...tally, key: "requests", label: "requests sent in all", value: run.requestsSent },
      { ...tally, key: "server-errors", label: "5xx or no answer, but engine failures", value: serverErrors },
      {
        ...tally,
        key: "engine-failures",
        label: "engine failures the API reported (502, code 10901)",
        value: run.engineFailures.length,
      },
      { ...tally, key: "failures", label: "failed checks", value: run.failures.length },
      {
        key: "seconds",
        label: "run time",
        value: run.durationSeconds,
        unit: "s",
        digits: 0,
        timed: "from the server's start to the last check",
      },
    ],
    checks: [
      { name: "no 5xx and no request without an answer", ok: serverErrors === 0 },
      { name: "every check passed", ok: run.failures.length === 0 },
    ],
  });
}

function printSummary(run: FuzzSummary): void {
  console.log(
    `${run.requestsSent.toLocaleString("en")} requests (${run.randomRequests.toLocaleString("en")} random, ` +
      `${run.refusalsSent.toLocaleString("en")} refusals, the rest fixtures, scenarios and checks) over ` +
      `${run.operationsCovered} of ${run.operationsDocumented} operations answered 2xx, in ${run.durationSeconds} s ` +
      `(seed ${run.seed}, concurrency ${run.concurrency}):`,
  );
  for (const [status, count] of Object.entries(run.statuses)) {
    console.log(`  ${status === "0" ? "no answer" : status}: ${count.toLocaleString("en")}`);
  }
  console.log(`engine failures reported as 502/10901: ${run.engineFailures.length}`);
  for (const failure of run.engineFailures.slice(0, 10)) console.log(`  ${failure}`);
  console.log(`failures: ${run.failures.length}`);
  for (const failure of run.failures.slice(0, 50)) console.log(`  ${failure}`);
}
