/**
 * `npm run bench:capacity`: what one retained instance costs, in the D1 index and in its journal,
 * and so how many one D1 database holds and which creation rate × retention that allows.
 *
 *   npm run bench:capacity -- [--rows 100000] [--journals 20]
 *
 * 1. D1: `rows` finished instances are written through the same table, indexes and triggers the
 *    Worker uses (bench/worker.ts /__bench/seed), and the database's size (D1's `size_after`) is
 *    read before and after: the difference over `rows` is the bytes per instance, its share of
 *    every index included (the per-workflow counts are a fixed 9 rows).
 * 2. Journal: `journals` ship-batch instances of 10 steps (9 labels and a sleep) run to the end
 *    and are mirrored; each journal's SQLite size is read from the object itself.
 */
import { accountApi, numberArgs, sleep, startBenchServer, workflowApi } from "../scripts/lib/bench.ts";
import { startResults, writeResults } from "../scripts/lib/results.ts";

const params = numberArgs({ rows: 100_000, journals: 20 });
const { rows, journals } = params;
const provenance = startResults("capacity");
const D1_LIMIT_BYTES = 10 * 1000 ** 3;
const SEED_CHUNK = 50_000;
const STEPS = 10;

const server = await startBenchServer("bench/results/capacity.log");
const { origin, account, json } = accountApi(server);
try {
  const d1Size = async () => (await json<{ bytes: number }>(`${origin}/__bench/d1-size`)).bytes;

  // 1. The index.
  const workflow = "bench-capacity";
  await json(`${account}/workflows/${workflow}`, {
    method: "PUT",
    body: JSON.stringify({ class_name: "BenchCapacity", script_name: "bench" }),
  });
  const before = await d1Size();
  for (let from = 0; from < rows; from += SEED_CHUNK) {
    const count = Math.min(SEED_CHUNK, rows - from);
    const body = { workflow, from, count, startMs: Date.UTC(2026, 0, 1), stepMs: 1_000 };
    await json(`${origin}/__bench/seed`, { method: "POST", body: JSON.stringify(body) });
  }
  const indexBytes = (await d1Size()) - before;
  const perInstanceD1 = indexBytes / rows;

  // 2. Journals of 10-step instances.
  const call = workflowApi(server, "ship-batch");
  const ids = Array.from({ length: journals }, (_, index) => `capacity-${Date.now()}-${index}`);
  await call("/instances/batch", {
    method: "POST",
    body: JSON.stringify(
      ids.map((instance_id) => ({
        instance_id,
        params: { orderIds: Array.from({ length: STEPS - 1 }, (_, order) => `${instance_id}-${order}`) },
      })),
    ),
  });
  for (const id of ids) {
    for (;;) {
      const { result } = await call<{ status: string; step_count: number }>(`/instances/${id}?simple=true`);
      if (result.status === "complete") {
        if (result.step_count !== STEPS) throw new Error(`${id} has ${result.step_count} steps`);
        break;
      }
      await sleep(250);
    }
  }
  const sizes = await Promise.all(
    ids.map(
      async (id) =>
        (await json<{ bytes: number }>(`${origin}/__bench/journal-bytes?workflow=ship-batch&id=${id}`)).bytes,
    ),
  );
  const perJournal = sizes.reduce((sum, bytes) => sum + bytes, 0) / sizes.length;

  const fits = Math.floor(D1_LIMIT_BYTES / perInstanceD1);
  const rate = (days: number) => fits / (days * 86_400);
  const number = (value: number, digits = 0) => value.toLocaleString("en", { maximumFractionDigits: digits });
  console.log(`\nOne retained instance (${number(rows)} seeded rows, ${journals} journals of ${STEPS} steps):`);
  console.log(`  D1 index: ${number(perInstanceD1)} bytes (row, 7 indexes; counts are 9 rows per workflow)`);
  console.log(`  journal:  ${number(perJournal)} bytes (its own Durable Object's SQLite)`);
  console.log(`One D1 database (10 GB) holds ${number(fits / 1e6, 1)} million retained instances:`);
  for (const days of [1, 7, 30]) {
    console.log(`  retention ${days} day${days > 1 ? "s" : ""}: at most ${number(rate(days), 1)} creates/s, sustained`);
  }
  console.log(
    `  Cloudflare's ceiling, 100 creates/s per workflow for 7 days: ${number((100 * 7 * 86_400) / 1e6, 1)} million`,
  );
  const seeded = `D1's size after seeding ${number(rows)} index rows through the real tables and triggers, less before, per row`;
  writeResults(provenance, {
    params,
    samples: { "D1 bytes added by the seed": indexBytes, "journal bytes": sizes },
    figures: [
      {
        key: "d1-bytes",
        label: "D1 bytes per retained instance",
        value: perInstanceD1,
        unit: "bytes",
        digits: 0,
        timed: seeded,
      },
      {
        key: "journal-bytes",
        label: `bytes per ${STEPS}-step journal`,
        value: perJournal,
        unit: "bytes",
        digits: 0,
        timed: `mean SQLite size of ${journals} finished ship-batch instances' journals`,
      },
      {
        key: "fits",
        label: "retained instances one 10 GB D1 holds",
        value: fits / 1e6,
        unit: "million",
        digits: 1,
        timed: "10 GB / D1 bytes per retained instance",
      },
      ...[1, 7, 30].map((days) => ({
        key: `rate.${days}d`,
        label: `sustained creates/s at ${days} day${days > 1 ? "s" : ""}' retention`,
        value: rate(days),
        unit: "creates/s",
        digits: 1,
        timed: "what fits / retention",
      })),
    ],
    notes: [
      "The seeded rows carry no params, no labels and no step attempt facts: real instances take more (see issue 27).",
    ],
  });
} finally {
  await server.stop();
}
