/**
 * `npm run bench:freshness`: how long after an engine status change the list shows it, for each
 * way the index learns of changes.
 *
 *   npm run bench:freshness -- [--instances 200] [--changes 50] [--every 200]
 *
 * `instances` order-approval instances are started through the API and left waiting for their
 * approval (unfinished, untracked: the demo workflows are plain). Then `changes` of them, one
 * every `every` ms, get their approval straight through the binding, behind the API's back, so
 * nothing tells the control plane, while the others stay unfinished; the list
 * (`status=complete`) is read every 100 ms until it shows all the changed ones; an instance's
 * staleness is the time from its completion in the engine (the engine's own timestamp of its
 * `workflow_completed` event, which the list shows as `ended_on`) to the first list that shows
 * it complete. Paths:
 *
 * - sweep: nothing but the sweeper (every 2 seconds under `npm run dev`);
 * - nudge: each instance's journal is nudged right after its event, as a TrackedWorkflow does
 *   when a step ends (sweeper off);
 * - Event Subscriptions: a lifecycle message per instance is handed to the Queue consumer right
 *   after its event, as Cloudflare delivers one (sweeper off);
 * - read by id: how long `GET …/instances/:id` takes to answer with the change (it syncs first).
 *
 * Only 127.0.0.1 is targeted.
 */
import { accountApi, numberArgs, sleep, startBenchServer } from "../scripts/lib/bench.ts";
import type { DevServer } from "../scripts/lib/dev-server.ts";

const { instances, changes, every } = numberArgs({ instances: 200, changes: 50, every: 200 });
const WORKFLOW = "order-approval";

type Summary = { id: string; status: string; ended_on: string | null };

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** What the list shows in `status`, every page of it. */
async function listed(api: ReturnType<typeof accountApi>, prefix: string, status: string): Promise<Summary[]> {
  const found: Summary[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ status, id_prefix: prefix, per_page: "100", ...(cursor ? { cursor } : {}) });
    const page = await api.json<{ result: Summary[]; result_info: { cursor?: string } }>(
      `${api.account}/workflows/${WORKFLOW}/instances?${query}`,
    );
    found.push(...page.result);
    cursor = page.result_info.cursor;
  } while (cursor);
  return found;
}

/** Starts `instances` orders and waits until they all wait for their approval (in the engine). */
async function waitingOrders(api: ReturnType<typeof accountApi>, prefix: string): Promise<string[]> {
  const ids = Array.from({ length: instances }, (_, index) => `${prefix}-${index}`);
  for (let start = 0; start < ids.length; start += 100) {
    const batch = ids
      .slice(start, start + 100)
      .map((instance_id) => ({ instance_id, params: { orderId: instance_id, amount: 1 } }));
    await api.request(`${api.account}/workflows/${WORKFLOW}/instances/batch`, {
      method: "POST",
      body: JSON.stringify(batch),
    });
  }
  // Each read by id syncs its journal: once all are waiting, the index knows them as waiting.
  for (const id of ids) {
    for (;;) {
      const { result } = await api.json<{ result: { status: string; step_count: number } }>(
        `${api.account}/workflows/${WORKFLOW}/instances/${id}?simple=true`,
      );
      if (result.status === "waiting" && result.step_count === 4) break;
      await sleep(250);
    }
  }
  return ids;
}

/**
 * Approves `changes` of the instances through the binding, one every `every` ms, each followed by
 * `after` (a nudge, a message) if given; says which, and when it is done, in the background.
 */
function approveBehindTheApi(
  api: ReturnType<typeof accountApi>,
  ids: string[],
  after?: string,
): { ids: string[]; done: Promise<void> } {
  const chosen = ids.slice(0, changes);
  const done = (async () => {
    for (const id of chosen) {
      const started = Date.now();
      const targets = JSON.stringify({ workflow: WORKFLOW, ids: [id], type: "approval", payload: { approved: true } });
      await api.request(`${api.origin}/__bench/send-events`, { method: "POST", body: targets });
      if (after) await api.request(`${api.origin}${after}`, { method: "POST", body: targets });
      await sleep(Math.max(0, every - (Date.now() - started)));
    }
  })();
  return { ids: chosen, done };
}

/**
 * Reads the list every 100 ms until every instance is complete; each one's staleness in ms,
 * from when the engine completed it to the first list that showed it so.
 */
async function staleness(
  api: ReturnType<typeof accountApi>,
  prefix: string,
  approvals: { ids: string[]; done: Promise<void> },
) {
  const seen = new Map<string, number>();
  const deadline = Date.now() + 120_000 + changes * every;
  while (seen.size < approvals.ids.length) {
    if (Date.now() > deadline) throw new Error(`only ${seen.size} of ${approvals.ids.length} listed complete in time`);
    const now = Date.now();
    for (const instance of await listed(api, prefix, "complete")) {
      if (!seen.has(instance.id)) seen.set(instance.id, now - Date.parse(instance.ended_on ?? ""));
    }
    await sleep(100);
  }
  await approvals.done;
  return [...seen.values()];
}

function report(path: string, values: number[]): void {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(
    `  ${path.padEnd(34)} p50 ${seconds(percentile(values, 50)).padStart(8)}   p95 ${seconds(percentile(values, 95)).padStart(8)}   max ${seconds(Math.max(...values)).padStart(8)}`,
  );
}

async function withServer<T>(flags: string[], run: (api: ReturnType<typeof accountApi>) => Promise<T>): Promise<T> {
  const server: DevServer = await startBenchServer(
    `bench/results/freshness-${flags.length === 0 ? "sweep" : "other"}.log`,
    flags,
  );
  try {
    return await run(accountApi(server));
  } finally {
    await server.stop();
  }
}

const run = Date.now().toString(36);
console.log(
  `${instances} unfinished, untracked order-approval instances; ${changes} approved behind the API's back, one every ${every} ms:`,
);

await withServer([], async (api) => {
  const ids = await waitingOrders(api, `sweep-${run}`);
  report("sweep (every 2 s)", await staleness(api, `sweep-${run}`, approveBehindTheApi(api, ids)));
});

await withServer(["--var", "SWEEP_INTERVAL:1 day"], async (api) => {
  const nudged = await waitingOrders(api, `nudge-${run}`);
  report(
    "nudge (TrackedWorkflow)",
    await staleness(api, `nudge-${run}`, approveBehindTheApi(api, nudged, "/__bench/nudge")),
  );

  const messaged = await waitingOrders(api, `queue-${run}`);
  report(
    "Event Subscriptions message",
    await staleness(api, `queue-${run}`, approveBehindTheApi(api, messaged, "/__bench/lifecycle-messages")),
  );

  const read = await waitingOrders(api, `read-${run}`);
  const approved = approveBehindTheApi(api, read);
  await approved.done;
  const took: number[] = [];
  for (const id of approved.ids) {
    const started = performance.now();
    const { result } = await api.json<{ result: { status: string } }>(
      `${api.account}/workflows/${WORKFLOW}/instances/${id}`,
    );
    took.push(performance.now() - started);
    if (result.status !== "complete") throw new Error(`${id} read as ${result.status}`);
  }
  report("read by id (GET answers with it)", took);
});
