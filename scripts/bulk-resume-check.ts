/**
 * `npm run check:bulk-resume`: a bulk job survives `wrangler dev` being killed with SIGKILL.
 *
 *   npm run check:bulk-resume -- [--action terminate] [--instances 300] [--kill-after 500]
 *
 * `--action` is any bulk action: terminate, pause, resume, restart, send_event or delete. Starts
 * `npm run dev` on its own state, creates `instances` order-approval instances (paused first for
 * resume, terminated first for restart), submits one bulk job over all of them, and SIGKILLs the
 * whole dev server (wrangler and workerd) `kill-after` ms after submitting it, part-way through
 * (the check fails if the job had ended by then). Starts it again on the same
 * state, waits for the job to finish, and checks the ledger: every instance accounted for exactly
 * once, none skipped, every one acted on shows the action's effect in the engine. Restart and
 * send_event are at most once: an item cut short in the engine's hands may be failed
 * (`InterruptedAction`), and no more of them than were in flight (25). Exits non-zero if anything is
 * off. Only 127.0.0.1 is targeted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  type BulkJob,
  createOrders,
  sleep,
  untilAllStarted,
  untilJobDone,
  type WorkflowApi,
  workflowApi,
} from "./lib/bench.ts";
import { startDevServer } from "./lib/dev-server.ts";
import { startResults, writeResults } from "./lib/results.ts";

const provenance = startResults("bulk-resume");

type Check = {
  /** The job's body beyond its targets. */
  body: Record<string, unknown>;
  /** A job run first over the same instances, to bring them where the action applies. */
  prepare?: "pause" | "terminate";
  /** Statuses an instance acted on may show once the action took effect (null: gone). */
  effect: (string | null)[];
  /** Interrupted items are failed rather than repeated. */
  atMostOnce?: boolean;
  /** Runs the kill cut short may need waking before the effect shows (see below). */
  wakeStalled?: boolean;
};

const CHECKS: Record<string, Check> = {
  terminate: { body: { action: "terminate" }, effect: ["terminated"] },
  pause: { body: { action: "pause" }, effect: ["paused", "waitingForPause"] },
  resume: { body: { action: "resume" }, prepare: "pause", effect: ["queued", "running", "waiting"] },
  restart: {
    body: { action: "restart" },
    prepare: "terminate",
    effect: ["queued", "running", "waiting"],
    atMostOnce: true,
  },
  send_event: {
    body: { action: "send_event", event: { type: "approval", payload: { approved: true } } },
    effect: ["complete"],
    atMostOnce: true,
    wakeStalled: true,
  },
  delete: { body: { action: "delete" }, effect: [null] },
};

/** Items a job acts on at once (BULK_CONCURRENCY): at most this many can be cut short by a crash. */
const IN_FLIGHT = 25;

const { values } = parseArgs({
  options: {
    action: { type: "string", default: "terminate" },
    instances: { type: "string", default: "300" },
    "kill-after": { type: "string", default: "500" },
  },
});
const action = values.action;
const check = CHECKS[action];
if (!check) throw new Error(`--action must be one of ${Object.keys(CHECKS).join(", ")}`);
const count = Number(values.instances);
const killAfterMs = Number(values["kill-after"]);
const state = mkdtempSync(join(tmpdir(), "control-plane-resume-"));
const logPath = "bench/results/bulk-resume.log";

type Result = {
  instance_id: string;
  outcome: string;
  reason: string | null;
  error: { name: string } | null;
  attempts: number;
};

/** The engine's status of an instance (through the API), or null when it is gone. */
async function statusOf(call: WorkflowApi, id: string): Promise<string | null> {
  try {
    return (await call<{ status: string }>(`/instances/${id}?simple=true`)).result.status;
  } catch (error) {
    if (String(error).includes(": 404 ")) return null;
    throw error;
  }
}

async function runJob(call: WorkflowApi, body: Record<string, unknown>, ids: string[]): Promise<BulkJob> {
  return (
    await call<BulkJob>("/instances/bulk", { method: "POST", body: JSON.stringify({ ...body, instance_ids: ids }) })
  ).result;
}

/**
 * Starts the dev server again on the killed one's state. The killed workerd can hold its ports
 * for a moment after its process group is gone ("Address already in use"): tried three times.
 */
async function restartDevServer(logPath: string, state: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServer({ logPath, persistTo: state });
    } catch (error) {
      if (attempt === 3) throw error;
      await sleep(2000);
    }
  }
}

let server = await startDevServer({ logPath, persistTo: state });
try {
  let call = workflowApi(server, "order-approval");
  const run = Date.now().toString(36);
  const ids = Array.from({ length: count }, (_, index) => `resume-${run}-${index}`);
  await createOrders(call, ids);
  await untilAllStarted(call, 500);
  if (check.prepare) {
    const prepared = await untilJobDone(call, (await runJob(call, { action: check.prepare }, ids)).id, 250);
    console.log(`Prepared: ${check.prepare} of ${prepared.succeeded} instances first`);
  }
  const job = await runJob(call, check.body, ids);
  console.log(`Job ${job.id}: ${action} of ${job.total} instances`);

  // Reads of a job wait while an alarm works, so the kill is timed from the submission.
  await sleep(killAfterMs);
  const crashedAt = Date.now();
  await server.crash();
  console.log(`SIGKILLed wrangler dev ${killAfterMs} ms after the job was submitted`);

  server = await restartDevServer(logPath, state);
  call = workflowApi(server, "order-approval");
  const restarted = performance.now();
  const after = (await untilJobDone(call, job.id, 250)) as BulkJob & { ended_on: string };
  console.log(
    `Restarted on the same state: the job finished ${((performance.now() - restarted) / 1000).toFixed(1)} s later, ${after.status}`,
  );

  const results: Result[] = [];
  let cursor: string | undefined;
  do {
    const page = await call<Result[]>(`/bulk/${job.id}/results?per_page=1000${cursor ? `&cursor=${cursor}` : ""}`);
    results.push(...page.result);
    cursor = page.result_info?.cursor;
  } while (cursor);
  const seen = new Set(results.map((result) => result.instance_id));
  const reasons = new Map<string, number>();
  for (const result of results) {
    const key = `${result.outcome}${result.reason ? ` (${result.reason})` : ""}${result.error ? ` (${result.error.name})` : ""}`;
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
  }
  console.log(
    `Ledger: ${after.succeeded} succeeded, ${after.skipped} skipped, ${after.failed} failed of ${after.total}`,
  );
  for (const [reason, n] of reasons) console.log(`  ${n} × ${reason}`);
  const retried = results.filter((result) => result.attempts > 1).length;
  console.log(`  ${retried} items were in flight when the process died and were tried again after the restart`);

  // The engine settles what the job set going (an event's instance runs on to complete).
  const acted = results.filter((result) => result.outcome === "succeeded").map((result) => result.instance_id);
  const settle = async (pending: readonly string[]) => {
    let left: (readonly [string, string | null])[] = pending.map((id) => [id, null]);
    for (let round = 0; round < 60 && left.length > 0; round++) {
      const statuses = await Promise.all(left.map(async ([id]) => [id, await statusOf(call, id)] as const));
      left = statuses.filter(([, status]) => !check.effect.includes(status));
      if (left.length > 0) await sleep(500);
    }
    return left;
  };
  let unsettled = await settle(acted);
  // The local engine does not restart a run the SIGKILL cut short (Cloudflare's engine does):
  // an instance that had been handed its event just before stays `running`, with the event kept
  // in its storage, until something wakes the run. A pause and a resume do; then the event's
  // effect must show like any other.
  const stalled = check.wakeStalled ? unsettled.filter(([, status]) => status === "running").map(([id]) => id) : [];
  if (stalled.length > 0) {
    for (const id of stalled) {
      for (const status of ["pause", "resume"]) {
        await call(`/instances/${id}/status`, { method: "PATCH", body: JSON.stringify({ status }) });
      }
    }
    console.log(
      `  ${stalled.length} instances given their event were stalled by the kill; woken by a pause and resume`,
    );
    unsettled = [...unsettled.filter(([id]) => !stalled.includes(id)), ...(await settle(stalled))];
  }
  const interrupted = results.filter((result) => result.error?.name === "InterruptedAction").length;
  const otherFailures = after.failed - interrupted;
  const checks = [
    [
      "the kill landed mid-job: it ended after the restart, and items cut short were tried again",
      Date.parse(after.ended_on) > crashedAt && retried > 0,
    ],
    [`${results.length} ledger rows for ${count} instances`, results.length === count],
    ["each instance exactly once", seen.size === count && ids.every((id) => seen.has(id))],
    ["no item left pending or skipped", after.pending === 0 && after.skipped === 0],
    [
      check.atMostOnce
        ? `no failure but ${interrupted} interrupted (at most once; at most ${IN_FLIGHT} were in flight)`
        : "no item failed",
      otherFailures === 0 && (check.atMostOnce ? interrupted <= IN_FLIGHT : interrupted === 0),
    ],
    [
      `every instance acted on shows it in the engine (${check.effect.map(String).join(" or ")})`,
      unsettled.length === 0,
    ],
  ] as const;
  for (const [name, ok] of checks) console.log(`  ${ok ? "ok  " : "FAIL"} ${name}`);
  for (const [id, status] of unsettled.slice(0, 5)) console.log(`  not in effect: ${id} (${status})`);
  const tally = (key: string, label: string, value: number, timed: string) => ({
    key,
    label,
    value,
    unit: "",
    digits: 0,
    timed,
  });
  writeResults(provenance, {
    params: { action, instances: count, killAfterMs },
    samples: { ledger: Object.fromEntries(reasons), unsettled },
    figures: [
      tally(
        "succeeded",
        "succeeded",
        after.succeeded,
        `ledger items of the ${action} job over ${count} instances, SIGKILLed mid-job`,
      ),
      tally("skipped", "skipped", after.skipped, "ledger items"),
      tally("failed-items", "failed", after.failed, "ledger items"),
      tally("retried", "tried again after the restart", retried, "items in flight when the process died"),
      tally("failed", "checks failed", checks.filter(([, ok]) => !ok).length, "of the checks listed below"),
    ],
    checks: checks.map(([name, ok]) => ({ name, ok })),
  });
  if (checks.some(([, ok]) => !ok)) process.exitCode = 1;
} finally {
  await server.stop();
  rmSync(state, { recursive: true, force: true });
}
