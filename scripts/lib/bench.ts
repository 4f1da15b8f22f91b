/**
 * What the benchmarks and scripts/bulk-resume-check.ts share: their numeric flags, a dev server
 * with the bench routes, and calls to its REST API with its admin token.
 */
import { parseArgs } from "node:util";
import { writeBenchConfig } from "../../bench/wrangler-config.ts";
import { type DevServer, startDevServer } from "./dev-server.ts";

/** Parses `--name <number>` flags, each with its default; unknown flags are refused. */
export function numberArgs<Name extends string>(defaults: Record<Name, number>): Record<Name, number> {
  const names = Object.keys(defaults) as Name[];
  const { values } = parseArgs({
    options: Object.fromEntries(
      names.map((name) => [name, { type: "string" as const, default: String(defaults[name]) }]),
    ),
  });
  return Object.fromEntries(names.map((name) => [name, Number(values[name])])) as Record<Name, number>;
}

/**
 * `npm run dev` serving bench/worker.ts: the control plane plus the /__bench routes, a queue
 * producer and a TrackedWorkflow (bench/wrangler-config.ts).
 */
export function startBenchServer(logPath: string, flags: string[] = []): Promise<DevServer> {
  return startDevServer({ logPath, flags: ["-c", writeBenchConfig(), ...flags] });
}

/**
 * Flags that put `npm run dev`'s sweep an hour apart, for runs whose instances the engine runs.
 * The dev server sweeps every 2 seconds, its stand-in for Event Subscriptions (which local
 * Workflows lack), and each tick syncs up to 500 unfinished instances on the one workerd thread
 * every request of the run shares, landing on whichever round or turn runs then. Deployed, the
 * mirror is fed by Event Subscriptions on other machines and the sweep ticks each minute; the
 * mirror's own cost is what bench:mirror and bench:transitions measure.
 */
export const SWEEP_AN_HOUR_APART = ["--var", "SWEEP_INTERVAL:1 hour"];

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function headersOf(server: DevServer) {
  return { Authorization: `Bearer ${server.token}`, "Content-Type": "application/json" };
}

/** Fetches any URL of the server with its token, and throws unless the answer is 2xx. */
export function accountApi(server: DevServer) {
  const headers = headersOf(server);
  async function request(url: string, init?: RequestInit): Promise<Response> {
    const response = await fetch(url, { headers, ...init });
    if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
    return response;
  }
  return {
    origin: new URL(server.baseUrl).origin,
    /** The REST API's URL for the server's account. */
    account: `${server.baseUrl}/accounts/${server.accountId}`,
    request,
    /** The answer's JSON body. */
    json: async <T>(url: string, init?: RequestInit): Promise<T> => (await request(url, init)).json() as Promise<T>,
  };
}

type Envelope<T> = { success: boolean; result: T; result_info?: { cursor?: string } };
export type WorkflowApi = <T>(path: string, init?: RequestInit) => Promise<Envelope<T>>;

/** Calls `path` under one workflow's URL; throws unless the answer is 2xx with `success`. */
export function workflowApi(server: DevServer, workflow: string): WorkflowApi {
  const headers = headersOf(server);
  const base = `${server.baseUrl}/accounts/${server.accountId}/workflows/${workflow}`;
  return async <T>(path: string, init?: RequestInit) => {
    const response = await fetch(`${base}${path}`, { headers, ...init });
    const body = (await response.json()) as Envelope<T>;
    if (!response.ok || !body.success) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
    return body;
  };
}

/** The workflow's instance counts by status. */
export async function instanceCounts(call: WorkflowApi): Promise<Record<string, number>> {
  return (await call<{ instances: Record<string, number> }>("")).result.instances;
}

/** Creates order-approval instances with these ids, 100 a batch; `onBatch` hears the running total. */
export async function createOrders(
  call: WorkflowApi,
  ids: string[],
  onBatch: (created: number) => void = () => {},
): Promise<void> {
  for (let start = 0; start < ids.length; start += 100) {
    const batch = ids
      .slice(start, start + 100)
      .map((instance_id) => ({ instance_id, params: { orderId: instance_id, amount: 1 } }));
    await call("/instances/batch", { method: "POST", body: JSON.stringify(batch) });
    onBatch(start + 100);
  }
}

/** Waits until none of the workflow's instances is queued, looking every `intervalMs`. */
export async function untilAllStarted(call: WorkflowApi, intervalMs: number): Promise<void> {
  while (((await instanceCounts(call)).queued ?? 0) > 0) await sleep(intervalMs);
}

export type BulkJob = {
  id: string;
  status: string;
  total: number;
  succeeded: number;
  skipped: number;
  failed: number;
  pending: number;
};

/** Reads the bulk job every `intervalMs` until it is neither queued nor running. */
export async function untilJobDone(call: WorkflowApi, id: string, intervalMs: number): Promise<BulkJob> {
  for (;;) {
    const { result: job } = await call<BulkJob>(`/bulk/${id}`);
    if (job.status !== "queued" && job.status !== "running") return job;
    await sleep(intervalMs);
  }
}

/** The middle value (the upper of the two middles for an even count); 0 for none. */
export const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/**
 * p50 milliseconds per named URL over `samples` rounds, the requests of all URLs interleaved so
 * drift hits each alike, after `warmUp` requests each. `raw`, if given, receives every time.
 */
export async function interleavedP50s(
  get: (url: string) => Promise<unknown>,
  urls: Record<string, string>,
  { samples, warmUp, raw = {} }: { samples: number; warmUp: number; raw?: Record<string, number[]> },
): Promise<Record<string, number>> {
  const times = raw;
  for (const name of Object.keys(urls)) times[name] = [];
  for (const url of Object.values(urls)) for (let warm = 0; warm < warmUp; warm++) await get(url);
  for (let sample = 0; sample < samples; sample++) {
    for (const [name, url] of Object.entries(urls)) {
      const started = performance.now();
      await get(url);
      times[name]?.push(performance.now() - started);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]));
}

/**
 * Seeds `rows` index rows through the bench worker's /__bench/seed route, `chunk` a request,
 * each with `body` (the workflow and the seed's options), printing the progress and the time.
 */
export async function seedRows(
  post: (url: string, init: RequestInit) => Promise<unknown>,
  origin: string,
  rows: number,
  body: Record<string, unknown>,
  chunk = 50_000,
): Promise<void> {
  const started = performance.now();
  for (let from = 0; from < rows; from += chunk) {
    const count = Math.min(chunk, rows - from);
    await post(`${origin}/__bench/seed`, { method: "POST", body: JSON.stringify({ ...body, from, count }) });
    process.stdout.write(`\r  seeded ${(from + count).toLocaleString("en")} rows`);
  }
  process.stdout.write(` in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
}
