/**
 * `npm run bench:transitions`: how many instance transitions a second one workflow's index
 * absorbs, every trigger firing (counts, labels, expiry, metrics, step metrics).
 *
 *   npm run bench:transitions -- [--rows 100000] [--transitions 2000] [--rounds 6]
 *
 * The workflow's index first holds `rows` labelled instances (seeded through the segment's
 * tables and triggers). Each round then writes `transitions` summaries as the index writers
 * flush them (bench/worker.ts /__bench/transitions: `writeToIndex`, 100 summaries a write, one
 * D1 read of the workflow's config and directory and one request to the segment per write), each
 * with the 32 latest attempt facts a journal carries and each a real event (runs end, then
 * restart, round after round): once from one writer (one write at a time) and once from all 16
 * writer shards flushing at once, alternating. The figure is the median rate over the rounds.
 *
 * Only 127.0.0.1 is ever targeted.
 */
import { accountApi, median, numberArgs, seedRows, startBenchServer } from "../scripts/lib/bench.ts";
import { startResults, writeResults } from "../scripts/lib/results.ts";

const params = numberArgs({ rows: 100_000, transitions: 2_000, rounds: 6 });
const { rows, transitions, rounds } = params;
const provenance = startResults("transitions");
const WORKFLOW = "bench-transitions";
const WRITER_SHARDS = 16;
const TARGET = 2_000;

const server = await startBenchServer("bench/results/transitions.log");
const { origin, account, json } = accountApi(server);

let round = 0;
async function rate(concurrency: number): Promise<number> {
  const answer = await json<{ perSecond: number }>(`${origin}/__bench/transitions`, {
    method: "POST",
    body: JSON.stringify({ workflow: WORKFLOW, count: transitions, round: round++, concurrency }),
  });
  return answer.perSecond;
}

try {
  await json(`${account}/workflows/${WORKFLOW}`, {
    method: "PUT",
    body: JSON.stringify({ class_name: "BenchWorkflow", script_name: "bench-worker" }),
  });
  console.log(`Seeding ${rows.toLocaleString("en")} labelled instances of ${WORKFLOW}…`);
  await seedRows(json, origin, rows, { workflow: WORKFLOW, startMs: Date.now() - rows * 10, stepMs: 10, labels: true });
  // The first rounds create the transitions' rows, then each kind once to warm up.
  await rate(1);
  await rate(1);
  await rate(WRITER_SHARDS);
  const rates: { one: number[]; all: number[] } = { one: [], all: [] };
  for (let at = 0; at < rounds; at++) {
    for (const all of at % 2 === 0 ? [false, true] : [true, false]) {
      const measured = await rate(all ? WRITER_SHARDS : 1);
      (all ? rates.all : rates.one).push(measured);
      console.log(
        `  round ${at + 1}  ${all ? `${WRITER_SHARDS} writers` : "1 writer  "}  ${measured.toFixed(0).padStart(6)} transitions/s`,
      );
    }
  }
  const one = median(rates.one);
  const all = median(rates.all);
  console.log(`\nTransitions/s into one workflow's index, median of ${rounds} rounds × ${transitions}:`);
  console.log(`  one writer, one write at a time: ${one.toFixed(0)}`);
  console.log(`  ${WRITER_SHARDS} writers at once:             ${all.toFixed(0)}   target ≥ ${TARGET}`);
  const timed = `median of ${rounds} rounds × ${transitions} summaries through writeToIndex, 100 a write, every trigger, into an index of ${rows.toLocaleString("en")} instances`;
  writeResults(provenance, {
    params,
    samples: { "transitions/s per round": rates },
    figures: [
      { key: "rate.one-writer", label: "one writer", value: one, unit: "transitions/s", digits: 0, timed },
      {
        key: "rate.writers",
        label: `${WRITER_SHARDS} writers at once`,
        value: all,
        unit: "transitions/s",
        digits: 0,
        timed,
      },
    ],
    notes: [
      "The writes start in the bench Worker (no journal, no IndexWriter alarm): what is timed is the flush's path, D1 read and segment write.",
    ],
  });
} finally {
  await server.stop();
}
