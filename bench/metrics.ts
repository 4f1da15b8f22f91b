/**
 * `npm run bench:metrics`: metrics at a million instances over 30 days. In one run of `npm run dev`:
 *
 * 1. seeds `rows` instances of one workflow, created evenly over 30 days and followed to their
 *    end (70% complete, 20% errored, 10% terminated), through its segments' tables and triggers;
 * 2. measures, interleaved, the 30-day read in hourly buckets (and in daily ones, the top errors,
 *    the account overview), p50 of `samples` requests over HTTP;
 * 3. measures what the metrics add to an instance transition: the same transitions written as
 *    the journals write them (each one a run ending or restarting), with the metrics triggers and
 *    with them dropped in the workflow's segments, alternating rounds, one summary per write
 *    (`writeToIndex`: a D1 read, then the segment) and 50 per write.
 *
 *   npm run bench:metrics -- [--rows 1000000] [--samples 200] [--transitions 500] [--rounds 6]
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
import { type Figure, startResults, writeResults } from "../scripts/lib/results.ts";

const params = numberArgs({
  rows: 1_000_000,
  samples: 200,
  transitions: 500,
  rounds: 6,
});
const { rows: totalRows, samples, transitions, rounds } = params;
const provenance = startResults("metrics");
/** Every round's ms per transition, by batch size. */
const transitionRounds: Record<string, { with: number[]; without: number[] }> = {};
const DAY = 86_400_000;
const END = Date.UTC(2026, 10, 1);
const START = END - 30 * DAY;
const WORKFLOW = "bench-metrics";

const server = await startBenchServer("bench/results/metrics.log", SWEEP_AN_HOUR_APART);
const { origin, account: api, json: call } = accountApi(server);

/** Milliseconds per transition, median over the rounds, with and without the metrics triggers. */
async function transitionCost(batch: number): Promise<{ with: number; without: number }> {
  const run = async (metrics: boolean, round: number) =>
    (
      await call<{ ms: number }>(`${origin}/__bench/transitions`, {
        method: "POST",
        body: JSON.stringify({ workflow: WORKFLOW, count: transitions, batch, metrics, round }),
      })
    ).ms / transitions;
  // The first rounds write the instances for the first time, then both kinds once to warm up.
  for (let round = 0; round < 4; round++) await run(true, round);
  const times = { with: [] as number[], without: [] as number[] };
  transitionRounds[`batch of ${batch}`] = times;
  for (let round = 0; round < 2 * rounds; round++) {
    // Alternating which kind goes first, and every round flips the state (ends or restarts runs).
    const metrics = Math.floor(round / 2) % 2 === 0 ? round % 2 === 0 : round % 2 === 1;
    const ms = await run(metrics, round);
    (metrics ? times.with : times.without).push(ms);
  }
  return { with: median(times.with), without: median(times.without) };
}

try {
  await call(`${api}/workflows/${WORKFLOW}`, {
    method: "PUT",
    body: JSON.stringify({ class_name: "BenchWorkflow", script_name: "bench-worker" }),
  });
  console.log(`Seeding ${totalRows.toLocaleString("en")} finished instances of ${WORKFLOW} over 30 days…`);
  await seedRows(call, origin, totalRows, {
    workflow: WORKFLOW,
    startMs: START,
    stepMs: Math.floor((30 * DAY) / totalRows),
    finished: true,
  });

  const metrics = `${api}/workflows/${WORKFLOW}/metrics`;
  const window = `since=${new Date(START).toISOString()}&until=${new Date(END).toISOString()}`;
  const urls = {
    "baseline: GET /user/tokens/verify": `${server.baseUrl}/user/tokens/verify`,
    "30 days, bucket=1h (720 buckets)": `${metrics}?bucket=1h&${window}`,
    "30 days, bucket=1d": `${metrics}?bucket=1d&${window}`,
    "30 days, bucket=1h, group_by=version": `${metrics}?bucket=1h&group_by=version&${window}`,
    "top errors, 30 days": `${metrics}/errors?${window}`,
    "account overview, 30 days": `${api}/metrics/overview?${window}`,
  };
  const raw: Record<string, number[]> = {};
  const p50 = await interleavedP50s(call, urls, { samples, warmUp: 10, raw });
  const sample = await call<{
    result: { buckets: { created: number; errored: number; duration_ms: { p95: number } }[] };
  }>(urls["30 days, bucket=1h (720 buckets)"]);
  const created = sample.result.buckets.reduce((sum, bucket) => sum + bucket.created, 0);

  console.log("Transitions, with the metrics triggers and without…");
  const single = await transitionCost(1);
  const batched = await transitionCost(50);

  console.log(`\np50 over ${samples} requests at ${totalRows.toLocaleString("en")} instances (ms):`);
  for (const [name, ms] of Object.entries(p50)) console.log(`  ${name.padEnd(40)} ${ms.toFixed(2).padStart(8)}`);
  console.log(`  (the hourly read counted ${created.toLocaleString("en")} instances created)`);
  console.log(`\nms per transition (median of ${rounds} rounds × ${transitions}):`);
  for (const [name, cost] of [
    ["one summary per write", single],
    ["50 summaries per write", batched],
  ] as const) {
    const added = (cost.with - cost.without) / cost.without;
    console.log(
      `  ${name.padEnd(28)} without ${cost.without.toFixed(3)}  with ${cost.with.toFixed(3)}  added ${(added * 100).toFixed(1)}%`,
    );
  }
  const hourly = p50["30 days, bucket=1h (720 buckets)"] ?? Number.NaN;
  console.log(`\n30-day hourly read p50: ${hourly.toFixed(1)} ms   target ≤ 50`);
  console.log(
    `added to a transition: ${(((single.with - single.without) / single.without) * 100).toFixed(1)}% (single), ${(((batched.with - batched.without) / batched.without) * 100).toFixed(1)}% (batched)   target ≤ 10%`,
  );
  const read = `p50 of ${samples} requests over HTTP at ${totalRows.toLocaleString("en")} finished instances over 30 days, interleaved`;
  const write = `ms per transition written as the journals write them, median of ${rounds} rounds × ${transitions}, alternating`;
  const cost = (key: string, label: string, measured: { with: number; without: number }): Figure[] => [
    {
      key: `without.${key}`,
      label: `${label}, without metrics triggers`,
      value: measured.without,
      unit: "ms",
      digits: 3,
      timed: write,
    },
    { key: `with.${key}`, label: `${label}, with them`, value: measured.with, unit: "ms", digits: 3, timed: write },
    {
      key: `added.${key}`,
      label: `${label}, added by the triggers`,
      value: ((measured.with - measured.without) / measured.without) * 100,
      unit: "%",
      digits: 1,
      timed: "(with − without) / without",
    },
  ];
  writeResults(provenance, {
    params,
    samples: {
      "ms per request": raw,
      "ms per transition per round": transitionRounds,
      "instances the hourly read counted": created,
    },
    figures: [
      ...Object.entries(p50).map(([name, ms]) => ({
        key: `p50.${name === "30 days, bucket=1h (720 buckets)" ? "hourly" : name}`,
        label: name,
        value: ms,
        unit: "ms",
        timed: read,
      })),
      ...cost("single", "one summary per write", single),
      ...cost("batched", "50 summaries per write", batched),
    ],
  });
} finally {
  await server.stop();
}
