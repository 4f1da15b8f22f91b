/**
 * `npm run bench:labels`: labels at a million instances. In one run of `npm run dev`:
 *
 * 1. seeds `rows` index rows of one workflow through its segments' tables and triggers, each with 5
 *    labels (tenant with 1,000 distinct values, region, plan, channel, batch);
 * 2. measures, interleaved, the status-filtered list, the list by a one-key selector and the
 *    counts grouped by that key (p50 of `samples` requests over HTTP), and prints the plans of
 *    the queries the segments ran for them;
 * 3. creates through `POST …/instances` with 5 labels and without, alternating rounds: last, so
 *    the thousands of instances they leave behind do not share the thread the reads are timed on.
 *
 *   npm run bench:labels -- [--rows 1000000] [--samples 200] [--creates 300] [--rounds 4]
 *
 * Only 127.0.0.1 is ever targeted.
 */
import {
  accountApi,
  interleavedP50s,
  median,
  numberArgs,
  SWEEP_AN_HOUR_APART,
  seedRows,
  startBenchServer,
} from "../scripts/lib/bench.ts";
import { startResults, writeResults } from "../scripts/lib/results.ts";

const params = numberArgs({
  rows: 1_000_000,
  samples: 200,
  creates: 300,
  rounds: 4,
});
const { rows: totalRows, samples, creates, rounds } = params;
const provenance = startResults("labels");
const CONCURRENCY = 16;
const START_MS = Date.UTC(2026, 0, 1);
const WORKFLOW = "bench-labels";
const LABELS = { tenant: "tenant-0042", region: "eu", plan: "pro", channel: "web", batch: "b-7" };

// The create rounds leave thousands of unfinished instances behind.
const server = await startBenchServer("bench/results/labels.log", SWEEP_AN_HOUR_APART);
const { origin, account: api, json: call, request } = accountApi(server);

/** Creates `count` hello-world instances with `concurrency` in flight; returns creates per second. */
async function createRate(count: number, labels: boolean): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const body = { params: { name: `labels-${index}` }, ...(labels ? { labels: LABELS } : {}) };
      await request(`${api}/workflows/hello-world/instances`, { method: "POST", body: JSON.stringify(body) });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return count / ((performance.now() - started) / 1000);
}

try {
  await call(`${api}/workflows/${WORKFLOW}`, {
    method: "PUT",
    body: JSON.stringify({ class_name: "BenchWorkflow", script_name: "bench-worker" }),
  });
  console.log(`Seeding ${totalRows.toLocaleString("en")} instances of ${WORKFLOW} with 5 labels each…`);
  await seedRows(call, origin, totalRows, { workflow: WORKFLOW, startMs: START_MS, stepMs: 1_000, labels: true });

  const list = `${api}/workflows/${WORKFLOW}/instances`;
  const urls = {
    "baseline: GET /user/tokens/verify": `${server.baseUrl}/user/tokens/verify`,
    "list status=running": `${list}?status=running&per_page=100`,
    "list labels=tenant=tenant-0042": `${list}?labels=${encodeURIComponent("tenant=tenant-0042")}&per_page=100`,
    "counts group_by=label:tenant": `${list}/counts?group_by=label:tenant`,
    "counts group_by=status,label:region": `${list}/counts?group_by=status,label:region`,
  };
  const raw: Record<string, number[]> = {};
  const p50 = await interleavedP50s(call, urls, { samples, warmUp: 20, raw });

  console.log(`Creating: ${rounds} rounds of ${creates} with 5 labels and without, concurrency ${CONCURRENCY}…`);
  await createRate(50, false);
  await createRate(50, true);
  const rates: { plain: number[]; labelled: number[] } = { plain: [], labelled: [] };
  for (let round = 0; round < rounds; round++) {
    for (const labelled of round % 2 === 0 ? [false, true] : [true, false]) {
      const rate = await createRate(creates, labelled);
      (labelled ? rates.labelled : rates.plain).push(rate);
      console.log(
        `  round ${round + 1}  ${labelled ? "with 5 labels" : "no labels    "}  ${rate.toFixed(0).padStart(5)} creates/s`,
      );
    }
  }

  const plainRate = median(rates.plain);
  const labelledRate = median(rates.labelled);
  const statusList = p50["list status=running"] ?? Number.NaN;
  const selectorList = p50["list labels=tenant=tenant-0042"] ?? Number.NaN;
  const grouped = p50["counts group_by=label:tenant"] ?? Number.NaN;

  const plans: Record<string, unknown> = {};
  console.log("\nQuery plans the segments ran at full size:");
  const basePath = new URL(api).pathname;
  for (const [name, query] of [
    ["status list", "?status=running&per_page=100"],
    ["selector list", `?labels=${encodeURIComponent("tenant=tenant-0042")}&per_page=100`],
    ["counts by label:tenant", "/counts?group_by=label:tenant"],
  ] as const) {
    const path = `${basePath}/workflows/${WORKFLOW}/instances${query}`;
    const explained = await call<{ seq: number; statements: { plan: string[] }[] }[]>(
      `${origin}/__bench/explain?workflow=${WORKFLOW}&path=${encodeURIComponent(path)}`,
    );
    console.log(`  ${name}:`);
    for (const { seq, statements } of explained) {
      for (const { plan } of statements) console.log(`    segment ${seq}: ${plan.join(" | ")}`);
    }
    plans[name] = explained;
  }

  console.log(`\np50 over ${samples} requests at ${totalRows.toLocaleString("en")} instances (ms):`);
  for (const [name, ms] of Object.entries(p50)) console.log(`  ${name.padEnd(40)} ${ms.toFixed(2).padStart(8)}`);
  console.log(
    `\nCreates/s, median of ${rounds} rounds × ${creates}: no labels ${plainRate.toFixed(0)}, 5 labels ${labelledRate.toFixed(0)}`,
  );
  console.log(`selector list / status list: ${(selectorList / statusList).toFixed(2)}   target ≤ 1.3`);
  console.log(`counts by label p50: ${grouped.toFixed(1)} ms   target ≤ 50`);
  console.log(`create with labels / without: ${(labelledRate / plainRate).toFixed(2)}   target ≥ 0.85`);
  const read = `p50 of ${samples} requests over HTTP at ${totalRows.toLocaleString("en")} labelled instances, interleaved`;
  const create = `median of ${rounds} rounds × ${creates} hello-world creates through the API, concurrency ${CONCURRENCY}, alternating`;
  writeResults(provenance, {
    params,
    samples: { "ms per request": raw, "creates/s per round": rates, "query plans at full size": plans },
    figures: [
      ...Object.entries(p50).map(([name, ms]) => ({
        key: `p50.${name === "counts group_by=label:tenant" ? "counts-tenant" : name}`,
        label: name,
        value: ms,
        unit: "ms",
        timed: read,
      })),
      {
        key: "ratio.selector-status",
        label: "selector list / status list",
        value: selectorList / statusList,
        unit: "",
        timed: "the two p50s' ratio",
      },
      {
        key: "create.plain",
        label: "creates, no labels",
        value: plainRate,
        unit: "creates/s",
        digits: 0,
        timed: create,
      },
      {
        key: "create.labelled",
        label: "creates, 5 labels",
        value: labelledRate,
        unit: "creates/s",
        digits: 0,
        timed: create,
      },
      {
        key: "ratio.create-labelled",
        label: "with labels / without",
        value: labelledRate / plainRate,
        unit: "",
        timed: "the two medians' ratio",
      },
    ],
  });
} finally {
  await server.stop();
}
