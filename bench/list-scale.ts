/**
 * `npm run bench:list`: reads of the segmented index as it grows, all in one run of `npm run dev`
 * and interleaved, over HTTP:
 *
 * - instance lists of a workflow of 10,000 instances against one of `rows` (1,000,000: two
 *   segments at the default size): the first page, a status filter, a date range, both, and a
 *   cursor each way;
 * - the newest page (100) of a workflow whose newest 100 instances span 10 segments, against the
 *   same page of the 10,000-instance workflow, which has one segment;
 * - exact counts at `rows` (`…/instances/counts` and `GET /workflows/{name}`);
 * - `GET /workflows` of 100 workflows with their counts;
 *
 * and prints the query plans the segments ran for the list reads at full size.
 *
 *   npm run bench:list -- [--rows 1000000] [--samples 200]
 *
 * Rows are seeded through the segments' own tables, indexes and triggers (bench/worker.ts
 * /__bench/seed). Only 127.0.0.1 is ever targeted.
 */
import { accountApi, interleavedP50s, numberArgs, seedRows, startBenchServer } from "../scripts/lib/bench.ts";
import { type Figure, startResults, writeResults } from "../scripts/lib/results.ts";

const params = numberArgs({ rows: 1_000_000, samples: 200 });
const { rows: totalRows, samples } = params;
const provenance = startResults("list");
const SMALL = 10_000;
const START_MS = Date.UTC(2026, 0, 1);
const STEP_MS = 1_000;
const LARGE = "bench-list";
const SMALL_WORKFLOW = "bench-list-10k";
const SPREAD = "bench-list-spread";
const WORKFLOWS = 100;
/** The spread workflow's segments 1…9 start 10 rows apart at its end: its newest page spans 10. */
const SPREAD_STARTS = Array.from({ length: 9 }, (_, index) => SMALL - 90 + index * 10);

const server = await startBenchServer("bench/results/list-scale.log");
const { origin, account: api, json: call } = accountApi(server);
const basePath = new URL(api).pathname;

async function createWorkflow(name: string): Promise<void> {
  await call(`${api}/workflows/${name}`, {
    method: "PUT",
    body: JSON.stringify({ class_name: "BenchWorkflow", script_name: "bench-worker" }),
  });
}

const seed = (workflow: string, rows: number, extra: Record<string, unknown> = {}) =>
  seedRows(call, origin, rows, { workflow, startMs: START_MS, stepMs: STEP_MS, ...extra });

/** A window of 1,000 rows that exists in both workflows. */
const window = `date_start=${new Date(START_MS + 5_000 * STEP_MS).toISOString()}&date_end=${new Date(START_MS + 5_999 * STEP_MS).toISOString()}`;

type Page = { result_info: { cursor?: string } };
const listOf = (workflow: string) => `${api}/workflows/${workflow}/instances`;

/** The list reads compared across sizes, with cursors from a first page of each workflow. */
async function lists(workflow: string): Promise<Record<string, string>> {
  const list = listOf(workflow);
  const first = await call<Page>(`${list}?per_page=100`);
  const firstAsc = await call<Page>(`${list}?per_page=100&direction=asc`);
  return {
    "first page": `${list}?per_page=100`,
    "status=running, first page": `${list}?status=running&per_page=100`,
    "date range (1,000 rows)": `${list}?${window}&per_page=100`,
    "status + date range": `${list}?status=complete&${window}&per_page=100`,
    "cursor, newest first": `${list}?per_page=100&cursor=${first.result_info.cursor}`,
    "cursor, oldest first": `${list}?per_page=100&direction=asc&cursor=${firstAsc.result_info.cursor}`,
  };
}

/** A figure key from a scenario's name: "cursor, newest first" → "cursor-newest-first". */
const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");

try {
  for (const name of [LARGE, SMALL_WORKFLOW, SPREAD]) await createWorkflow(name);
  const existing = (await call<{ result: unknown[] }>(`${api}/workflows?per_page=100`)).result.length;
  const fillers = Array.from({ length: Math.max(0, WORKFLOWS - existing) }, (_, index) => `bench-filler-${index}`);
  console.log(`Creating ${fillers.length} more workflows (100 in all), 100 instances each…`);
  for (const name of fillers) {
    await createWorkflow(name);
    await call(`${origin}/__bench/seed`, {
      method: "POST",
      body: JSON.stringify({ workflow: name, from: 0, count: 100, startMs: START_MS, stepMs: STEP_MS }),
    });
  }
  console.log(`Seeding ${SMALL.toLocaleString("en")} instances of ${SMALL_WORKFLOW} (one segment)…`);
  await seed(SMALL_WORKFLOW, SMALL);
  console.log(`Seeding ${SMALL.toLocaleString("en")} instances of ${SPREAD} (its newest 100 over 10 segments)…`);
  await seed(SPREAD, SMALL, { segmentStarts: SPREAD_STARTS });
  console.log(`Seeding ${totalRows.toLocaleString("en")} instances of ${LARGE}…`);
  await seed(LARGE, totalRows);
  const layout = async (workflow: string) =>
    call<{ segments: number; instances: number }>(`${origin}/__bench/index-size?workflow=${workflow}`);
  const sizes = {
    [SMALL_WORKFLOW]: await layout(SMALL_WORKFLOW),
    [SPREAD]: await layout(SPREAD),
    [LARGE]: await layout(LARGE),
  };
  for (const [name, size] of Object.entries(sizes)) {
    console.log(`  ${name}: ${size.instances.toLocaleString("en")} instances in ${size.segments} segment(s)`);
  }

  const small = await lists(SMALL_WORKFLOW);
  const large = await lists(LARGE);
  const urls: Record<string, string> = {
    "baseline: GET /user/tokens/verify": `${server.baseUrl}/user/tokens/verify`,
    ...Object.fromEntries(Object.entries(small).map(([name, url]) => [`10k: ${name}`, url])),
    ...Object.fromEntries(Object.entries(large).map(([name, url]) => [`full: ${name}`, url])),
    "10 segments: first page": `${listOf(SPREAD)}?per_page=100`,
    "full: counts": `${listOf(LARGE)}/counts?group_by=status`,
    "full: GET /workflows/{name}": `${api}/workflows/${LARGE}`,
    "GET /workflows (100 workflows)": `${api}/workflows?per_page=100`,
  };
  const raw: Record<string, number[]> = {};
  const p50 = await interleavedP50s(call, urls, { samples, warmUp: 20, raw });
  const at = (name: string) => p50[name] ?? Number.NaN;

  const full = totalRows.toLocaleString("en");
  console.log(
    `\np50 over ${samples} interleaved requests (ms)         ${"10k".padStart(8)} ${"full".padStart(8)}   ratio`,
  );
  for (const name of Object.keys(small)) {
    const ratio = at(`full: ${name}`) / at(`10k: ${name}`);
    console.log(
      `  ${name.padEnd(44)} ${at(`10k: ${name}`).toFixed(2).padStart(8)} ${at(`full: ${name}`).toFixed(2).padStart(8)}   ${ratio.toFixed(2)}`,
    );
  }
  const spreadRatio = at("10 segments: first page") / at("10k: first page");
  console.log(
    `  first page over 10 segments / in one         ${at("10k: first page").toFixed(2).padStart(8)} ${at("10 segments: first page").toFixed(2).padStart(8)}   ${spreadRatio.toFixed(2)}   target ≤ 2`,
  );
  console.log(`  exact counts at ${full}: ${at("full: counts").toFixed(2)} ms   target ≤ 20`);
  console.log(`  GET /workflows/{name} at ${full}: ${at("full: GET /workflows/{name}").toFixed(2)} ms`);
  console.log(`  GET /workflows, 100 workflows: ${at("GET /workflows (100 workflows)").toFixed(2)} ms   target ≤ 100`);
  console.log(`  baseline (token verify): ${at("baseline: GET /user/tokens/verify").toFixed(2)} ms`);

  const each = `p50 of ${samples} requests over HTTP, every URL interleaved, per_page=100, after 20 warm-up requests each`;
  const figures: Figure[] = Object.entries(p50).map(([name, ms]) => ({
    key: `p50.${slug(name)}`,
    label: name,
    value: ms,
    unit: "ms",
    timed: each,
  }));
  for (const name of Object.keys(small)) {
    figures.push({
      key: `ratio.${slug(name)}`,
      label: `${name}, ${full} / 10,000 instances`,
      value: at(`full: ${name}`) / at(`10k: ${name}`),
      unit: "",
      timed: "the two p50s' ratio, one run",
    });
  }
  figures.push({
    key: "ratio.ten-segments",
    label: "first page over 10 segments / in one segment",
    value: spreadRatio,
    unit: "",
    timed: "the two p50s' ratio, one run",
  });

  const plans: Record<string, unknown> = {};
  console.log(`\nQuery plans the segments of ${LARGE} ran:`);
  for (const [name, query] of [
    ["status filter", "status=running&per_page=100"],
    ["date range", `${window}&per_page=100`],
    ["cursor, newest first", new URL(large["cursor, newest first"] ?? "").search.slice(1)],
  ] as const) {
    const path = `${basePath}/workflows/${LARGE}/instances?${query}`;
    const explained = await call<{ seq: number; statements: { sql: string; plan: string[] }[] }[]>(
      `${origin}/__bench/explain?workflow=${LARGE}&path=${encodeURIComponent(path)}`,
    );
    console.log(`  ${name}:`);
    for (const { seq, statements } of explained) {
      for (const { plan } of statements) console.log(`    segment ${seq}: ${plan.join(" | ")}`);
    }
    plans[name] = explained;
  }
  writeResults(provenance, {
    params,
    samples: { "ms per request": raw, layout: sizes, "query plans at full size": plans },
    figures,
    notes: [
      `${SPREAD}'s segments 1 to 9 hold 10 instances each (its newest 100), segment 0 the rest.`,
      `${WORKFLOWS} workflows: ${fillers.length} of them with 100 seeded instances each.`,
    ],
  });
} finally {
  await server.stop();
}
