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
 * - nudge: the instances are `tracked-order`, order-approval's steps run as a TrackedWorkflow
 *   (bench/worker.ts), whose own steps nudge the control plane (sweeper off);
 * - Event Subscriptions: once the engine has completed an instance, an `instance.completed`
 *   message in the documented shape is sent through a producer binding to the local Queue the
 *   Worker consumes, delivered under wrangler.toml's `max_batch_timeout` (sweeper off). Its
 *   staleness runs from the send: Cloudflare's own delay from the engine to the Queue cannot be
 *   measured locally, and is reported as unmeasured;
 * - read by id: how long `GET …/instances/:id` takes to answer with the change (it syncs first).
 *
 * Only 127.0.0.1 is targeted.
 */
import { accountApi, numberArgs, sleep, startBenchServer } from "../scripts/lib/bench.ts";
import type { DevServer } from "../scripts/lib/dev-server.ts";
import { type Figure, startResults, writeResults } from "../scripts/lib/results.ts";
import { TRACKED_WORKFLOW } from "./wrangler-config.ts";

const params = numberArgs({ instances: 200, changes: 50, every: 200 });
const { instances, changes, every } = params;
const provenance = startResults("freshness");
const PLAIN = "order-approval";
const samples: Record<string, number[]> = {};
const figures: Figure[] = [];

type Summary = { id: string; status: string; ended_on: string | null };

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** What the list shows in `status`, every page of it. */
async function listed(
  api: ReturnType<typeof accountApi>,
  workflow: string,
  prefix: string,
  status: string,
): Promise<Summary[]> {
  const found: Summary[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ status, id_prefix: prefix, per_page: "100", ...(cursor ? { cursor } : {}) });
    const page = await api.json<{ result: Summary[]; result_info: { cursor?: string } }>(
      `${api.account}/workflows/${workflow}/instances?${query}`,
    );
    found.push(...page.result);
    cursor = page.result_info.cursor;
  } while (cursor);
  return found;
}

/** Starts `instances` orders and waits until they all wait for their approval (in the engine). */
async function waitingOrders(api: ReturnType<typeof accountApi>, workflow: string, prefix: string): Promise<string[]> {
  const ids = Array.from({ length: instances }, (_, index) => `${prefix}-${index}`);
  for (let start = 0; start < ids.length; start += 100) {
    const batch = ids
      .slice(start, start + 100)
      .map((instance_id) => ({ instance_id, params: { orderId: instance_id, amount: 1 } }));
    await api.request(`${api.account}/workflows/${workflow}/instances/batch`, {
      method: "POST",
      body: JSON.stringify(batch),
    });
  }
  // Each read by id syncs its journal: once all are waiting, the index knows them as waiting.
  for (const id of ids) {
    for (;;) {
      const { result } = await api.json<{ result: { status: string; step_count: number } }>(
        `${api.account}/workflows/${workflow}/instances/${id}?simple=true`,
      );
      if (result.status === "waiting" && result.step_count === 4) break;
      await sleep(250);
    }
  }
  return ids;
}

type Approvals = { workflow: string; ids: string[]; done: Promise<void>; sentAt: Map<string, number> };

/**
 * Approves `changes` of the instances through the binding, one every `every` ms, each followed by
 * `after` (a message to the Queue) if given; says which, and when it is done, in the background.
 */
function approveBehindTheApi(
  api: ReturnType<typeof accountApi>,
  workflow: string,
  ids: string[],
  after?: string,
): Approvals {
  const chosen = ids.slice(0, changes);
  const sentAt = new Map<string, number>();
  const done = (async () => {
    for (const id of chosen) {
      const started = Date.now();
      const targets = JSON.stringify({ workflow, ids: [id], type: "approval", payload: { approved: true } });
      await api.request(`${api.origin}/__bench/send-events`, { method: "POST", body: targets });
      if (after) {
        const sent = await api.json<{ sentAt: number }>(`${api.origin}${after}`, { method: "POST", body: targets });
        sentAt.set(id, sent.sentAt);
      }
      await sleep(Math.max(0, every - (Date.now() - started)));
    }
  })();
  return { workflow, ids: chosen, done, sentAt };
}

/**
 * Reads the list every 100 ms until every instance is complete; each one's staleness in ms, from
 * when the engine completed it (or, with `fromSend`, when its Queue message was sent) to the
 * first list that showed it so.
 */
async function staleness(api: ReturnType<typeof accountApi>, prefix: string, approvals: Approvals, fromSend = false) {
  const seenAt = new Map<string, number>();
  const endedOn = new Map<string, number>();
  const deadline = Date.now() + 120_000 + changes * every;
  while (seenAt.size < approvals.ids.length) {
    if (Date.now() > deadline)
      throw new Error(`only ${seenAt.size} of ${approvals.ids.length} listed complete in time`);
    const now = Date.now();
    for (const instance of await listed(api, approvals.workflow, prefix, "complete")) {
      if (!seenAt.has(instance.id)) {
        seenAt.set(instance.id, now);
        endedOn.set(instance.id, Date.parse(instance.ended_on ?? ""));
      }
    }
    await sleep(100);
  }
  await approvals.done;
  return [...seenAt].map(([id, at]) => at - ((fromSend ? approvals.sentAt.get(id) : endedOn.get(id)) ?? Number.NaN));
}

function report(key: string, path: string, values: number[], timed: string): void {
  samples[path] = values;
  for (const p of [50, 95]) {
    figures.push({
      key: `p${p}.${key}`,
      label: `${path}, p${p}`,
      value: percentile(values, p) / 1000,
      unit: "s",
      timed,
    });
  }
  figures.push({ key: `max.${key}`, label: `${path}, max`, value: Math.max(...values) / 1000, unit: "s", timed });
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
  `${instances} unfinished order-approval instances; ${changes} approved behind the API's back, one every ${every} ms:`,
);
const setting = `${instances} unfinished instances, ${changes} approved through the binding one every ${every} ms, the list read every 100 ms`;
const fromEngine =
  "from the engine's workflow_completed timestamp (ended_on) to the first list showing the instance complete";

await withServer([], async (api) => {
  const ids = await waitingOrders(api, PLAIN, `sweep-${run}`);
  report(
    "sweep",
    "sweep alone (every 2 s under `npm run dev`)",
    await staleness(api, `sweep-${run}`, approveBehindTheApi(api, PLAIN, ids)),
    `${fromEngine}; plain workflow; ${setting}`,
  );
});

await withServer(["--var", "SWEEP_INTERVAL:1 day"], async (api) => {
  const tracked = await waitingOrders(api, TRACKED_WORKFLOW.name, `nudge-${run}`);
  report(
    "nudge",
    "nudge from a `TrackedWorkflow`'s steps",
    await staleness(api, `nudge-${run}`, approveBehindTheApi(api, TRACKED_WORKFLOW.name, tracked)),
    `${fromEngine}; order-approval's steps run as a TrackedWorkflow, sweep off; ${setting}`,
  );

  const messaged = await waitingOrders(api, PLAIN, `queue-${run}`);
  report(
    "queue",
    "Event Subscriptions message through the local Queue",
    await staleness(api, `queue-${run}`, approveBehindTheApi(api, PLAIN, messaged, "/__bench/queue-send"), true),
    "from sending the instance.completed message (once the engine completed the instance) through a producer binding " +
      `to the first list showing it complete; consumer as in wrangler.toml (max_batch_timeout), sweep off; ${setting}`,
  );

  const read = await waitingOrders(api, PLAIN, `read-${run}`);
  const approved = approveBehindTheApi(api, PLAIN, read);
  await approved.done;
  const took: number[] = [];
  for (const id of approved.ids) {
    const started = performance.now();
    const { result } = await api.json<{ result: { status: string } }>(
      `${api.account}/workflows/${PLAIN}/instances/${id}`,
    );
    took.push(performance.now() - started);
    if (result.status !== "complete") throw new Error(`${id} read as ${result.status}`);
  }
  report(
    "read",
    "read by id (`GET …/instances/:id` answers with it)",
    took,
    `the GET's own time, sent after the approvals (it syncs the journal first); ${setting}`,
  );
});

writeResults(provenance, { params, samples: { "staleness ms per instance": samples }, figures });
