/**
 * `npm run bench:list`: instance list and workflow list latency at 10,000 and at 1,000,000
 * instances of one workflow in the local D1 index, and the query plans behind them.
 *
 *   npm run bench:list -- [--rows 1000000] [--samples 200]
 *
 * Rows are seeded through the same tables, indexes and triggers the Worker uses (src/bench/routes.ts).
 * Each figure is the median of `samples` requests over HTTP to `npm run dev` on 127.0.0.1.
 */
import { accountApi, numberArgs, startBenchServer } from "../scripts/lib/bench.ts";
import { type Figure, startResults, writeResults } from "../scripts/lib/results.ts";

const params = numberArgs({ rows: 1_000_000, samples: 200 });
const { rows: totalRows, samples } = params;
const provenance = startResults("list");
/** Every request's milliseconds, by size and scenario. */
const rawTimes: Record<string, Record<string, number[]>> = {};
const SMALL = 10_000;
const SEED_CHUNK = 50_000;
const START_MS = Date.UTC(2026, 0, 1);
const STEP_MS = 1_000;
const WORKFLOW = "bench-list";

const server = await startBenchServer("bench/results/list-scale.log");
const { origin, account: api, json: call } = accountApi(server);

async function seed(from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += SEED_CHUNK) {
    const count = Math.min(SEED_CHUNK, to - start);
    const body = { workflow: WORKFLOW, from: start, count, startMs: START_MS, stepMs: STEP_MS };
    await call(`${origin}/__bench/seed`, { method: "POST", body: JSON.stringify(body) });
    process.stdout.write(`\r  seeded ${(start + count).toLocaleString("en")} rows`);
  }
  process.stdout.write("\n");
}

/** A window of 1,000 rows that exists at both sizes. */
const window = `date_start=${new Date(START_MS + 5_000 * STEP_MS).toISOString()}&date_end=${new Date(START_MS + 5_999 * STEP_MS).toISOString()}`;

type Page = { result_info: { cursor?: string } };

/** The requests measured; cursors are taken from a first page at the current size. */
async function scenarios(): Promise<Record<string, string>> {
  const list = `${api}/workflows/${WORKFLOW}/instances`;
  const first = await call<Page>(`${list}?per_page=100`);
  const firstAsc = await call<Page>(`${list}?per_page=100&direction=asc`);
  return {
    "baseline: GET /user/tokens/verify": `${server.baseUrl}/user/tokens/verify`,
    "status=running, first page": `${list}?status=running&per_page=100`,
    "date range (1,000 rows)": `${list}?${window}&per_page=100`,
    "status + date range": `${list}?status=complete&${window}&per_page=100`,
    "cursor, newest first": `${list}?per_page=100&cursor=${first.result_info.cursor}`,
    "cursor, oldest first": `${list}?per_page=100&direction=asc&cursor=${firstAsc.result_info.cursor}`,
    "workflow list with counts": `${api}/workflows?per_page=100`,
  };
}

async function median(url: string, times: number[]): Promise<number> {
  for (let warm = 0; warm < 20; warm++) await call(url);
  for (let sample = 0; sample < samples; sample++) {
    const started = performance.now();
    await call(url);
    times.push(performance.now() - started);
  }
  return [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0;
}

async function measureAll(size: string): Promise<Map<string, number>> {
  const results = new Map<string, number>();
  const raw: Record<string, number[]> = {};
  rawTimes[size] = raw;
  for (const [name, url] of Object.entries(await scenarios())) {
    raw[name] = [];
    results.set(name, await median(url, raw[name]));
  }
  return results;
}

/** A figure key from a scenario's name: "cursor, newest first" → "cursor-newest-first". */
const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");

try {
  await call(`${api}/workflows/${WORKFLOW}`, {
    method: "PUT",
    body: JSON.stringify({ class_name: "BenchWorkflow", script_name: "bench-worker" }),
  });
  console.log(`Seeding ${SMALL.toLocaleString("en")} instances of ${WORKFLOW}…`);
  await seed(0, SMALL);
  const small = await measureAll("10k");
  console.log(`Seeding up to ${totalRows.toLocaleString("en")}…`);
  await seed(SMALL, totalRows);
  const large = await measureAll("full");

  console.log("");
  console.log(
    `p50 over ${samples} requests (ms)          ${"10k".padStart(8)} ${`${totalRows / 1000}k`.padStart(8)}   ratio`,
  );
  for (const [name, smallMs] of small) {
    const largeMs = large.get(name) ?? Number.NaN;
    console.log(
      `  ${name.padEnd(38)} ${smallMs.toFixed(2).padStart(8)} ${largeMs.toFixed(2).padStart(8)}   ${(largeMs / smallMs).toFixed(2)}`,
    );
  }
  const figures: Figure[] = [];
  const each = `p50 of ${samples} sequential requests over HTTP, per_page=100, after 20 warm-up requests`;
  for (const [name, smallMs] of small) {
    const largeMs = large.get(name) ?? Number.NaN;
    figures.push(
      { key: `p50-10k.${slug(name)}`, label: `${name}, 10,000 rows`, value: smallMs, unit: "ms", timed: each },
      {
        key: `p50-full.${slug(name)}`,
        label: `${name}, ${totalRows.toLocaleString("en")} rows`,
        value: largeMs,
        unit: "ms",
        timed: each,
      },
      {
        key: `ratio.${slug(name)}`,
        label: `${name}, ratio`,
        value: largeMs / smallMs,
        unit: "",
        timed: "large / small p50",
      },
    );
  }
  const plans: Record<string, string[][]> = {};
  console.log("\nQuery plans at full size:");
  for (const [name, query] of [
    ["status filter", "status=running"],
    ["date range", window],
    [
      "cursor, newest first",
      `cursor=${(await call<Page>(`${api}/workflows/${WORKFLOW}/instances?per_page=100`)).result_info.cursor}`,
    ],
  ] as const) {
    const explained = await call<{ sql: string; plan: string[] }[]>(
      `${origin}/__bench/explain?workflow=${WORKFLOW}&${query}`,
    );
    console.log(`  ${name}:`);
    for (const { plan } of explained) console.log(`    ${plan.join(" | ")}`);
    plans[name] = explained.map(({ plan }) => plan);
  }
  writeResults(provenance, {
    params,
    samples: { "ms per request": rawTimes, "query plans at full size": plans },
    figures,
    notes: ["The two sizes are measured one after the other (seeding in between), not interleaved."],
  });
} finally {
  await server.stop();
}
