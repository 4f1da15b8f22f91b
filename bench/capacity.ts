/**
 * `npm run bench:capacity`: what one retained instance costs in its workflow's index (a segment,
 * a Durable Object's SQLite) and in its journal, so how many one segment holds and how many
 * objects a workflow creating 300 instances a second for 30 days needs.
 *
 *   npm run bench:capacity -- [--instances 500] [--journals 20]
 *
 * Real instances, as they are in production: `instances` ship-batch instances (9 steps and a
 * sleep: 10 steps) created through the API with 1 KiB of params, 5 labels each set with
 * `PATCH …/labels`, run by the engine to the end and mirrored into the index by their journals
 * (their attempt facts included). The index's bytes (the sum of its segments' SQLite sizes) are
 * read before and after: the difference over `instances` is the bytes per instance, its share of
 * every index, label row, count and metric bucket included. `journals` of the journals' SQLite
 * sizes are read from the objects themselves.
 *
 * Only 127.0.0.1 is ever targeted.
 */
import { accountApi, instanceCounts, numberArgs, sleep, startBenchServer, workflowApi } from "../scripts/lib/bench.ts";
import { startResults, writeResults } from "../scripts/lib/results.ts";

const params = numberArgs({ instances: 500, journals: 20 });
const { instances, journals } = params;
const provenance = startResults("capacity");
const OBJECT_LIMIT_BYTES = 10 * 1000 ** 3;
const STEPS = 10;
const PARAMS_BYTES = 1024;
const CREATES_PER_SECOND = 300;
const RETENTION_DAYS = 30;
const WORKFLOW = "ship-batch";

/** ship-batch params of exactly `PARAMS_BYTES` as JSON: 9 orders, an address and a note. */
function paramsOf(id: string) {
  const base = {
    orderIds: Array.from({ length: STEPS - 1 }, (_, order) => `${id}-order-${order}`),
    shipTo: { name: "Ada Lovelace", street: "12 Marylebone Road", city: "London", zip: "NW1 5LR", country: "GB" },
    note: "",
  };
  const pad = PARAMS_BYTES - JSON.stringify(base).length;
  return { ...base, note: "n".repeat(Math.max(0, pad)) };
}

const labelsOf = (index: number) => ({
  tenant: `tenant-${String(index % 1000).padStart(4, "0")}`,
  region: ["eu", "us", "apac", "sam", "afr"][index % 5] ?? "eu",
  plan: ["free", "pro", "enterprise"][index % 3] ?? "free",
  channel: ["web", "api", "batch", "partner"][index % 4] ?? "web",
  batch: `b-${index % 50}`,
});

const server = await startBenchServer("bench/results/capacity.log");
const { origin, json } = accountApi(server);
const call = workflowApi(server, WORKFLOW);
try {
  type Size = { segments: number; bytes: number; instances: number };
  const indexSize = () => json<Size>(`${origin}/__bench/index-size?workflow=${WORKFLOW}`);
  const run = Date.now();
  /** Creates instances with their params and labels; resolves once the index counts them all complete. */
  async function createFinished(ids: string[]): Promise<void> {
    const completeBefore = (await instanceCounts(call)).complete ?? 0;
    for (let start = 0; start < ids.length; start += 100) {
      const batch = ids
        .slice(start, start + 100)
        .map((instance_id) => ({ instance_id, params: paramsOf(instance_id) }));
      await call("/instances/batch", { method: "POST", body: JSON.stringify(batch) });
    }
    for (const [index, id] of ids.entries()) {
      await call(`/instances/${id}/labels`, { method: "PATCH", body: JSON.stringify({ set: labelsOf(index) }) });
    }
    // Done once the index itself says so: every instance complete there, as its journal wrote it.
    const started = performance.now();
    for (;;) {
      const complete = ((await instanceCounts(call)).complete ?? 0) - completeBefore;
      process.stdout.write(`\r  ${complete} of ${ids.length} complete in the index`);
      if (complete >= ids.length) break;
      if (performance.now() - started > 30 * 60_000) throw new Error("instances did not complete in 30 minutes");
      await sleep(1_000);
    }
    process.stdout.write("\n");
    // The last summaries' writes (attempt facts, metrics) land a flush after the status does.
    await sleep(2_000);
  }
  // One instance first, so the segment and its empty schema exist before the measurement.
  console.log("Warming up: one instance, so the workflow's first segment exists…");
  await createFinished([`capacity-${run}-warm-up`]);
  const before = await indexSize();

  const ids = Array.from({ length: instances }, (_, index) => `capacity-${run}-${index}`);
  console.log(`Creating ${instances} ${WORKFLOW} instances (${STEPS} steps, ${PARAMS_BYTES} B params, 5 labels)…`);
  await createFinished(ids);
  const sample = await call<{ status: string; step_count: number }>(`/instances/${ids[0]}?simple=true`);
  if (sample.result.step_count !== STEPS) throw new Error(`${ids[0]} has ${sample.result.step_count} steps`);
  const after = await indexSize();
  const added = after.instances - before.instances;
  if (added !== instances) throw new Error(`the index gained ${added} instances, not ${instances}`);
  const perInstance = (after.bytes - before.bytes) / instances;

  const sizes = await Promise.all(
    ids
      .slice(0, journals)
      .map(
        async (id) =>
          (await json<{ bytes: number }>(`${origin}/__bench/journal-bytes?workflow=${WORKFLOW}&id=${id}`)).bytes,
      ),
  );
  const perJournal = sizes.reduce((sum, bytes) => sum + bytes, 0) / sizes.length;

  const perSegment = OBJECT_LIMIT_BYTES / perInstance;
  const retained = CREATES_PER_SECOND * RETENTION_DAYS * 86_400;
  const segmentsNeeded = Math.ceil(retained / perSegment);
  const number = (value: number, digits = 0) => value.toLocaleString("en", { maximumFractionDigits: digits });
  console.log(
    `\nOne retained instance (${instances} real ${STEPS}-step instances, ${PARAMS_BYTES} B params, 5 labels):`,
  );
  console.log(`  index segment: ${number(perInstance)} bytes (row, indexes, labels, counts, metric buckets)`);
  console.log(
    `  journal:       ${number(perJournal)} bytes (its own Durable Object's SQLite; one object per instance)`,
  );
  console.log(`One segment (10 GB) holds ${number(perSegment / 1e6, 2)} million retained instances.`);
  console.log(
    `${CREATES_PER_SECOND} creations/s × ${RETENTION_DAYS} days = ${number(retained / 1e6, 0)} million retained: ` +
      `${number(segmentsNeeded)} index segments at 10 GB (more at the configured segment size), plus one journal per instance`,
  );
  const measured = `(index bytes after − before) / ${instances} real finished ${WORKFLOW} instances; bytes are the sum of the segments' SQLite sizes`;
  writeResults(provenance, {
    params,
    samples: { "index before": before, "index after": after, "journal bytes": sizes },
    figures: [
      {
        key: "index-bytes",
        label: "index bytes per retained instance",
        value: perInstance,
        unit: "bytes",
        digits: 0,
        timed: measured,
      },
      {
        key: "journal-bytes",
        label: `bytes per ${STEPS}-step journal`,
        value: perJournal,
        unit: "bytes",
        digits: 0,
        timed: `mean SQLite size of ${sizes.length} finished ${WORKFLOW} instances' journals`,
      },
      {
        key: "segment-fits",
        label: "retained instances one 10 GB segment holds",
        value: perSegment / 1e6,
        unit: "million",
        digits: 2,
        timed: "10 GB / index bytes per retained instance",
      },
      {
        key: "segments-300-30d",
        label: `10 GB segments for ${CREATES_PER_SECOND} creations/s × ${RETENTION_DAYS} days`,
        value: segmentsNeeded,
        unit: "objects",
        digits: 0,
        timed: "retained instances / what one segment holds, rounded up",
      },
      {
        key: "journals-300-30d",
        label: `journals for ${CREATES_PER_SECOND} creations/s × ${RETENTION_DAYS} days`,
        value: retained / 1e6,
        unit: "million objects",
        digits: 0,
        timed: "one journal per retained instance",
      },
    ],
    notes: [
      `Each instance: ${PARAMS_BYTES} B params, 5 labels set through PATCH …/labels, ${STEPS} steps run by the local engine.`,
      "SQLite sizes are whole pages: the index difference is over every instance created in the run.",
    ],
  });
} finally {
  await server.stop();
}
