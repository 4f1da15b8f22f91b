/**
 * `npm run bench:bulk`: bulk jobs against the engine's own ceiling, for pause and for terminate,
 * in one process and one run.
 *
 *   npm run bench:bulk -- [--instances 2000] [--loop 200] [--settle 10] [--turns 8]
 *
 * Creates 2 × `instances` + `loop` running `order-approval` instances (batch create, 100 a
 * request). For each action, one set of `instances` gets the engine calls a bulk job makes per
 * instance, from a plain Worker invocation at the job's concurrency with nothing recorded (the
 * ceiling), and the other set gets bulk jobs; they take `turns` turns on equal parts of their
 * sets (bare, job, job, bare, bare, job, job, bare, …). Pause comes first, then terminate acts on the
 * same (now paused) sets, after a loop of single `PATCH …/status` calls over `loop` running
 * ones. Between phases the run waits `settle` seconds, since the engine finishes part of each
 * action after its call has answered, and that work would otherwise land on the next phase.
 *
 * A job's time runs from its submission to its own `ended_on`. After it, the run waits for the
 * job's follow-up to bring the index up to date, and times that too. Then it checks every target
 * in the ledger, the counts, and the engine (a sample), and prints last `bulk/bare: <ratio>` for
 * terminate. Only 127.0.0.1 is targeted.
 */
import {
  type BulkJob,
  createOrders,
  instanceCounts,
  numberArgs,
  SWEEP_AN_HOUR_APART,
  sleep,
  startBenchServer,
  untilJobDone,
  workflowApi,
} from "../scripts/lib/bench.ts";
import { type Check, type Figure, startResults, writeResults } from "../scripts/lib/results.ts";

type Action = "pause" | "terminate";
/** Statuses that count as the action's effect, in the engine and in the index. */
const EFFECT: Record<Action, string[]> = { pause: ["paused", "waitingForPause"], terminate: ["terminated"] };

const params = numberArgs({ instances: 2000, loop: 200, settle: 10, turns: 8 });
const { instances: setSize, loop: loopCount, settle, turns: turnCount } = params;
if (turnCount % 4 !== 0) throw new Error("--turns must be a multiple of 4 (bare, job, job, bare)");
const provenance = startResults("bulk");
const checks: Check[] = [];
/** Each turn's seconds, by action and kind. */
const turns: Record<string, { kind: string; instances: number; seconds: number }[]> = {};
const figures: Figure[] = [];

// Every change is synced by a job's follow-up or by the run itself.
const server = await startBenchServer("bench/results/bulk.log", SWEEP_AN_HOUR_APART);
const call = workflowApi(server, "order-approval");
const origin = new URL(server.baseUrl).origin;
let failures = 0;

function check(ok: boolean, what: string): void {
  if (!ok) failures++;
  checks.push({ name: what, ok });
  console.log(`  ${ok ? "ok  " : "FAIL"} ${what}`);
}

const rate = (count: number, seconds: number) => `${(count / seconds).toFixed(0)} instances/s`;

async function effectCount(action: Action): Promise<number> {
  const counts = await instanceCounts(call);
  return EFFECT[action].reduce((sum, status) => sum + (counts[status] ?? 0), 0);
}

/** The ceiling: the job's engine calls for these instances, nothing recorded; in seconds. */
async function bare(action: Action, ids: string[]): Promise<number> {
  const response = await fetch(`${origin}/__bench/bare-action`, {
    method: "POST",
    body: JSON.stringify({ action, ids }),
  });
  if (!response.ok) throw new Error(`bare ${action}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { ms: number }).ms / 1000;
}

/** Brings the index up to date for instances changed behind its back (the bare calls). */
async function syncIndex(ids: string[]): Promise<void> {
  await fetch(`${origin}/__bench/sync`, {
    method: "POST",
    body: JSON.stringify({ workflow: "order-approval", ids, concurrency: 25, fresh: false }),
  });
}

/** One bulk job: its own duration, and how long after its end the index caught up. */
async function bulk(action: Action, ids: string[], expectedEffects: number): Promise<[BulkJob, number, number]> {
  const submitted = Date.now();
  const { result } = await call<{ id: string }>("/instances/bulk", {
    method: "POST",
    body: JSON.stringify({ action, instance_ids: ids }),
  });
  const job = (await untilJobDone(call, result.id, 100)) as BulkJob & { ended_on: string };
  const endedOn = Date.parse(job.ended_on);
  while ((await effectCount(action)) < expectedEffects) await sleep(100);
  return [job, (endedOn - submitted) / 1000, (Date.now() - endedOn) / 1000];
}

/** Reads a sample of the targets from the engine (GET by id reads it); how many show the effect. */
async function engineSample(action: Action, ids: string[]): Promise<[number, number]> {
  const sample = ids.filter((_, index) => index % Math.ceil(ids.length / 200) === 0);
  const statuses = await Promise.all(
    sample.map(async (id) => (await call<{ status: string }>(`/instances/${id}?simple=true`)).result.status),
  );
  return [statuses.filter((status) => EFFECT[action].includes(status)).length, sample.length];
}

/** `ids` in `count` parts of (nearly) equal size, in order. */
function parts(ids: string[], count: number): string[][] {
  const size = Math.ceil(ids.length / count);
  return Array.from({ length: count }, (_, at) => ids.slice(at * size, (at + 1) * size));
}

/**
 * The turns of one action: bare, job, job, bare, repeated over parts of both sets, so that a
 * drift of the machine's speed during the run (and the engine's leftover work from the turn
 * before) weighs on both kinds alike.
 */
function schedule(bareIds: string[], bulkIds: string[]): { kind: "bare" | "bulk"; ids: string[] }[] {
  const bulkParts = parts(bulkIds, turnCount / 2);
  return parts(bareIds, turnCount / 2).flatMap((bareIdsOfTurn, at) => {
    const bare = { kind: "bare" as const, ids: bareIdsOfTurn };
    const bulk = { kind: "bulk" as const, ids: bulkParts[at] ?? [] };
    return at % 2 === 0 ? [bare, bulk] : [bulk, bare];
  });
}

/** One action over both sets, in the turns `schedule` lays out. */
async function phase(action: Action, bareIds: string[], bulkIds: string[]): Promise<number> {
  const before = await effectCount(action);
  let bareSeconds = 0;
  let bulkSeconds = 0;
  let followSeconds = 0;
  const jobs: BulkJob[] = [];
  const timedTurns: { kind: string; instances: number; seconds: number }[] = [];
  turns[action] = timedTurns;
  let expected = before;
  for (const turn of schedule(bareIds, bulkIds)) {
    expected += turn.ids.length;
    if (turn.kind === "bare") {
      const seconds = await bare(action, turn.ids);
      bareSeconds += seconds;
      timedTurns.push({ kind: turn.kind, instances: turn.ids.length, seconds });
      await syncIndex(turn.ids);
    } else {
      const [job, seconds, follow] = await bulk(action, turn.ids, expected);
      jobs.push(job);
      bulkSeconds += seconds;
      followSeconds = Math.max(followSeconds, follow);
      timedTurns.push({ kind: turn.kind, instances: turn.ids.length, seconds });
    }
    await sleep(settle * 1000);
  }
  const [shown, sampled] = await engineSample(action, bulkIds);
  const succeeded = jobs.reduce((sum, job) => sum + job.succeeded, 0);
  const skipped = jobs.reduce((sum, job) => sum + job.skipped, 0);
  const failed = jobs.reduce((sum, job) => sum + job.failed, 0);
  console.log(`\n${action}:`);
  console.log(
    `  bare engine calls, nothing recorded: ${bareSeconds.toFixed(1)} s, ${rate(bareIds.length, bareSeconds)}`,
  );
  console.log(
    `  bulk jobs:                           ${bulkSeconds.toFixed(1)} s, ${rate(bulkIds.length, bulkSeconds)}`,
  );
  console.log(`  index caught up at most ${followSeconds.toFixed(1)} s after a job ended (its follow-up)`);
  check(
    jobs.every((job) => job.status === "complete") && succeeded === bulkIds.length,
    `ledger: ${succeeded} succeeded, ${skipped} skipped, ${failed} failed of ${bulkIds.length}`,
  );
  const effects = await effectCount(action);
  check(effects === expected, `index: ${EFFECT[action].join(" + ")} count ${effects} (expected ${expected})`);
  check(shown === sampled, `engine: ${shown} of ${sampled} sampled instances ${EFFECT[action].join(" or ")}`);
  const ratio = bulkIds.length / bulkSeconds / (bareIds.length / bareSeconds);
  const turnsTimed = `${turnCount / 2} turns on equal parts of the set (bare, job, job, bare, …)`;
  figures.push(
    {
      key: `bare.${action}`,
      label: `${action}: bare engine calls, nothing recorded`,
      value: bareIds.length / bareSeconds,
      unit: "instances/s",
      digits: 0,
      timed: `${bareIds.length} instances, the calls a job makes per instance from a plain invocation, ${turnsTimed}`,
    },
    {
      key: `bulk.${action}`,
      label: `${action}: bulk jobs`,
      value: bulkIds.length / bulkSeconds,
      unit: "instances/s",
      digits: 0,
      timed: `${bulkIds.length} instances, from each job's submission to its own ended_on, ${turnsTimed}`,
    },
    { key: `ratio.${action}`, label: `${action}: bulk/bare`, value: ratio, unit: "", timed: "the two rates' ratio" },
    {
      key: `follow.${action}`,
      label: `${action}: index caught up after a job ended`,
      value: followSeconds,
      unit: "s",
      digits: 1,
      timed: "the most, from a job's ended_on until the index counts showed every target's effect",
    },
  );
  return ratio;
}

try {
  const run = Date.now().toString(36);
  const ids = Array.from({ length: 2 * setSize + loopCount }, (_, index) => `bulk-${run}-${index}`);
  console.log(`Creating ${ids.length.toLocaleString("en")} order-approval instances…`);
  await createOrders(call, ids, (created) => {
    if (created % 1000 === 0) process.stdout.write(`\r  created ${created.toLocaleString("en")}`);
  });
  process.stdout.write("\n  waiting until every one has started…");
  do await syncIndex(ids);
  while (((await instanceCounts(call)).queued ?? 0) > 0);
  console.log(" done");
  const loopIds = ids.slice(0, loopCount);
  const bareIds = ids.slice(loopCount, loopCount + setSize);
  const bulkIds = ids.slice(loopCount + setSize);

  const pauseRatio = await phase("pause", bareIds, bulkIds);

  const loopStarted = performance.now();
  for (const id of loopIds) {
    await call(`/instances/${id}/status`, { method: "PATCH", body: JSON.stringify({ status: "terminate" }) });
  }
  const loopSeconds = (performance.now() - loopStarted) / 1000;
  console.log(
    `\nterminate, a loop of single PATCH calls (${loopCount}): ${loopSeconds.toFixed(1)} s, ${rate(loopCount, loopSeconds)}`,
  );
  await sleep(settle * 1000);
  const terminateRatio = await phase("terminate", bareIds, bulkIds);

  console.log(`\npause bulk/bare: ${pauseRatio.toFixed(2)}`);
  console.log(`bulk/bare: ${terminateRatio.toFixed(2)}`);
  figures.push({
    key: "loop.terminate",
    label: "terminate: a loop of single `PATCH …/status` calls",
    value: loopCount / loopSeconds,
    unit: "instances/s",
    digits: 0,
    timed: `${loopCount} sequential PATCH calls over HTTP`,
  });
  writeResults(provenance, {
    params,
    samples: { "seconds per turn": turns, "loop seconds": loopSeconds },
    figures,
    checks,
  });
  if (failures > 0) {
    console.log(`VERIFICATION FAILED (${failures})`);
    process.exitCode = 1;
  }
} finally {
  await server.stop();
}
