/**
 * `npm run bench:mirror`: how fast journals mirror the engine's event stream, and how a long
 * history reads.
 *
 *   npm run bench:mirror -- [--instances 200] [--steps 50] [--concurrency 10] [--group 50]
 *                           [--long 10000] [--rounds 3]
 *
 * 1. Events mirrored per second through the pull path: `instances` instances of ship-batch (a
 *    plain Workflow of examples/shipping-worker, one step per order) with `steps` orders each
 *    run to completion; then their journals are cleared and synced from the first event, each a
 *    pass as the sweeper makes it (engine subscription, chunks into the journal, index write),
 *    `concurrency` at once, then `group` at once; each against the engine's own subscriptions
 *    reading the same streams and recording nothing (the ceiling). Medians of `rounds` rounds.
 * 2. One instance of `long` orders (`long` + 1 steps: a label each, then the pickup sleep): the
 *    same for its one history, then its log read through
 *    `GET …/instances/:id`, streamed page by page: the time, the response size and the peak
 *    memory (VmHWM) of the workerd processes before and after.
 * 3. For comparison, the same first sync of one history in the Workers runtime without
 *    `wrangler dev` around it (`vitest --project bench`, bench/mirror.workers.ts).
 *
 * Only 127.0.0.1 is targeted.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { accountApi, numberArgs, sleep, startBenchServer } from "../scripts/lib/bench.ts";
import { type Figure, startResults, writeResults } from "../scripts/lib/results.ts";

const provenance = startResults("mirror");
const params = numberArgs({
  instances: 200,
  steps: 50,
  concurrency: 10,
  group: 50,
  long: 10_000,
  rounds: 3,
});
const { instances, steps, concurrency, group, long, rounds } = params;
/** Every round's events per second, by measurement. */
const roundRates: Record<string, { mirrored: number[]; ceiling: number[] }> = {};
const figures: Figure[] = [];
const WORKFLOW = "ship-batch";

const server = await startBenchServer("bench/results/mirror.log");
const { origin, account, request, json } = accountApi(server);

/** Peak and current resident memory of this machine's workerd processes, in MiB. */
function workerdMemory(): { peak: number; current: number } {
  const pids = execFileSync("ps", ["-eo", "pid=,comm="], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line.trim().endsWith("workerd"))
    .map((line) => line.trim().split(/\s+/)[0] ?? "");
  let peak = 0;
  let current = 0;
  for (const pid of pids) {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    peak += Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    current += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  }
  return { peak, current };
}

async function createBatches(ids: string[], orders: number): Promise<void> {
  for (let start = 0; start < ids.length; start += 100) {
    const batch = ids.slice(start, start + 100).map((instance_id) => ({
      instance_id,
      params: { orderIds: Array.from({ length: orders }, (_, index) => `${instance_id}-${index}`) },
    }));
    await request(`${account}/workflows/${WORKFLOW}/instances/batch`, { method: "POST", body: JSON.stringify(batch) });
  }
}

/** Waits until the engine finished every one (read through GET, which syncs each journal on the way). */
async function untilComplete(ids: string[]): Promise<void> {
  for (const id of ids) {
    for (;;) {
      const { result } = await json<{ result: { status: string } }>(
        `${account}/workflows/${WORKFLOW}/instances/${id}?simple=true`,
      );
      if (result.status === "complete") break;
      if (result.status === "errored" || result.status === "terminated") throw new Error(`${id} is ${result.status}`);
      await sleep(500);
    }
  }
}

type Timed = { ms: number; events: number };

async function syncFresh(ids: string[], at: number): Promise<Timed> {
  return json(`${origin}/__bench/sync`, {
    method: "POST",
    body: JSON.stringify({ workflow: WORKFLOW, ids, concurrency: at, fresh: true }),
  });
}

async function readRaw(ids: string[], at: number): Promise<Timed> {
  return json(`${origin}/__bench/read-raw`, {
    method: "POST",
    body: JSON.stringify({ workflow: WORKFLOW, ids, concurrency: at }),
  });
}

/**
 * The median rate of `rounds` rounds, each a sync from the first event and a read of the same
 * streams by the engine's own subscriptions, alternated (this machine's speed drifts by a tenth
 * or more from one minute to the next).
 */
async function measure(
  key: string,
  ids: string[],
  at: number,
): Promise<{ events: number; mirrored: number; ceiling: number }> {
  const mirrored: number[] = [];
  const ceiling: number[] = [];
  roundRates[key] = { mirrored, ceiling };
  let events = 0;
  for (let round = 0; round < rounds; round++) {
    const synced = await syncFresh(ids, at);
    mirrored.push((synced.events / synced.ms) * 1000);
    const raw = await readRaw(ids, at);
    ceiling.push((raw.events / raw.ms) * 1000);
    events = synced.events;
  }
  return { events, mirrored: median(mirrored), ceiling: median(ceiling) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const SYNC_TIMED =
  "a sync from the first event as the sweeper makes it (engine subscription, chunks of 500 into the journal), " +
  "ending when the journal has handed the summary to its IndexWriter, not at the index's D1 write";

function report(
  key: string,
  label: string,
  { mirrored, ceiling, events }: { mirrored: number; ceiling: number; events: number },
): void {
  const each = `${events.toLocaleString("en")} events, median of ${rounds} rounds`;
  figures.push(
    {
      key: `rate.${key}`,
      label: `${label}: mirrored`,
      value: mirrored,
      unit: "events/s",
      digits: 0,
      timed: `${SYNC_TIMED}; ${each}`,
    },
    {
      key: `ceiling.${key}`,
      label: `${label}: the engine's subscriptions alone`,
      value: ceiling,
      unit: "events/s",
      digits: 0,
      timed: `the same streams read through the engine's own subscriptions, recording nothing; ${each}`,
    },
    {
      key: `share.${key}`,
      label: `${label}: share`,
      value: (mirrored / ceiling) * 100,
      unit: "%",
      digits: 0,
      timed: "mirrored / alone",
    },
  );
  const rate = (perSecond: number) => `${Math.round(perSecond).toLocaleString("en")} events/s`;
  console.log(
    `  ${label}: mirrored at ${rate(mirrored)}; the engine's own subscriptions read them, recording nothing, at ${rate(ceiling)} (${Math.round((mirrored / ceiling) * 100)}%)`,
  );
}

try {
  const run = Date.now().toString(36);

  // 1. Many instances
  const ids = Array.from({ length: instances }, (_, index) => `mirror-${run}-${index}`);
  await createBatches(ids, steps);
  await untilComplete(ids);
  const many = await measure("ten-at-once", ids, concurrency);
  console.log(
    `Mirrored ${many.events.toLocaleString("en")} events of ${instances} instances (${steps} steps each) from their first event, median of ${rounds} rounds:`,
  );
  report("ten-at-once", `${instances} instances × ${steps} steps, ${concurrency} at once`, many);
  report("group", `the same, ${group} at once (a sweep's group)`, await measure("group", ids, group));

  // 2. One long history
  const longId = `mirror-${run}-long`;
  const createdAt = performance.now();
  await createBatches([longId], long);
  await untilComplete([longId]);
  console.log(
    `The engine ran ${(long + 1).toLocaleString("en")} steps in ${((performance.now() - createdAt) / 1000).toFixed(0)} s`,
  );
  const one = await measure("long", [longId], 1);
  console.log(`Mirrored its ${one.events.toLocaleString("en")} events from the first, median of ${rounds} rounds:`);
  report("long", `one instance of ${(long + 1).toLocaleString("en")} steps`, one);
  const before = workerdMemory();
  const readStarted = performance.now();
  const text = await (await request(`${account}/workflows/${WORKFLOW}/instances/${longId}`)).text();
  const readMs = performance.now() - readStarted;
  const after = workerdMemory();
  const body = JSON.parse(text) as { result: { step_count: number; steps: unknown[] } };
  console.log(
    `Read it with ${body.result.step_count.toLocaleString("en")} steps (${body.result.steps.length.toLocaleString("en")} returned)`,
  );
  console.log(
    `  ${(text.length / 1024 / 1024).toFixed(1)} MiB streamed in ${readMs.toFixed(0)} ms, in pages of 500 steps`,
  );
  console.log(
    `  workerd resident memory: ${before.current.toFixed(0)} → ${after.current.toFixed(0)} MiB; peak ${before.peak.toFixed(0)} → ${after.peak.toFixed(0)} MiB (+${(after.peak - before.peak).toFixed(0)})`,
  );
  figures.push(
    {
      key: "long-read",
      label: `\`GET …/instances/:id\` of ${body.result.step_count.toLocaleString("en")} steps, ${(text.length / 1024 / 1024).toFixed(1)} MiB`,
      value: readMs,
      unit: "ms",
      digits: 0,
      timed: "one read over HTTP, streamed in pages of 500 steps",
    },
    {
      key: "long-read-peak",
      label: "workerd peak resident memory added by that read",
      value: after.peak - before.peak,
      unit: "MiB",
      digits: 0,
      timed: "VmHWM of the workerd processes after the read, less before",
    },
  );
} finally {
  await server.stop();
}

// 3. The Workers runtime without wrangler dev
const workers = spawnSync("npx", ["vitest", "run", "--project", "bench"], {
  encoding: "utf8",
  env: { ...process.env, WORKERS_BENCH: String(long) },
});
const workersLines = `${workers.stdout}`.split("\n").filter((line) => line.includes("[workers runtime]"));
if (workers.status !== 0 || workersLines.length === 0)
  throw new Error(`the Workers runtime part failed:\n${workers.stdout}${workers.stderr}`);
for (const line of workersLines) console.log(line.trim());
/** "[workers runtime] pull path (…): 40,006 events in 8210 ms, 4,873 events/s" → 4873. */
const perSecond = (label: string) =>
  Number(
    /([\d,]+) events\/s/.exec(workersLines.find((line) => line.includes(label)) ?? "")?.[1]?.replaceAll(",", "") ??
      Number.NaN,
  );
const workersEach = `one history of ${(long + 1).toLocaleString("en")} steps in the Vitest Workers pool, no wrangler dev, one round`;
figures.push(
  {
    key: "workers-pool.rate",
    label: "the same history in the Vitest pool: mirrored",
    value: perSecond("pull path"),
    unit: "events/s",
    digits: 0,
    timed: `${SYNC_TIMED}; ${workersEach}`,
  },
  {
    key: "workers-pool.ceiling",
    label: "the same history in the Vitest pool: the engine's subscription alone",
    value: perSecond("subscription alone"),
    unit: "events/s",
    digits: 0,
    timed: workersEach,
  },
);
writeResults(provenance, {
  params,
  samples: { "events/s per round": roundRates, "Workers pool output": workersLines.map((line) => line.trim()) },
  figures,
});
