/**
 * `npm run check:crash`: what the API answered survives `npm run dev` being killed with SIGKILL
 * in the middle of a burst (issue 14).
 *
 *   npm run check:crash -- [--clients 8] [--seconds 4] [--rate 150] [--seed 0]
 *
 * Starts `npm run dev` on its own state, and lets `clients` concurrent clients send random
 * requests to the order-approval workflow for `seconds`: creates with new ids, creates of ids
 * already created (400/10405), creates the schema refuses (400), pause, resume, terminate and
 * the `approval` event on instances the client created. Each instance follows a small plan, one
 * request at a time, so its final state follows from the answers. While requests are in flight,
 * the whole dev server (npm, wrangler, workerd) is SIGKILLed; it is started again on the same
 * state, and once the index has settled every request of the ledger is checked against the
 * engine (`GET …/instances/:id`) and the index (every page of `GET …/instances`): each 2xx
 * reflected exactly once, no 4xx leaving a trace, an unanswered request either taken or not but
 * the same in both, and the maintained counts equal to a recount. Prints the ledger's summary,
 * writes the whole ledger to bench/results/crash-ledger.json and exits non-zero on any mismatch.
 * Only 127.0.0.1 is targeted.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { numberArgs, sleep } from "./lib/bench.ts";
import { type DevServer, startDevServer } from "./lib/dev-server.ts";
import { seededRandom } from "./lib/random.ts";
import { startResults, writeResults } from "./lib/results.ts";

const provenance = startResults("crash");
const args = numberArgs({ clients: 8, seconds: 4, rate: 150, seed: 0 });
const { clients, seconds, rate } = args;
// A seed makes the choices of a run replayable (the timing, and so the kill, is not).
const seed = args.seed === 0 ? Math.floor(Math.random() * 2 ** 31) : args.seed;
const WORKFLOW = "order-approval";
/** The event order-approval waits for (src/workflows/order-approval.ts, APPROVAL_EVENT). */
const EVENT = "approval";
/** An event type order-approval never waits for: it only gets a cut-short run going again (wakeAll). */
const WAKE_EVENT = "crash-check-wake";
/** How long the server keeps an id reserved for a create that never reached the engine (create.ts, CREATE_GRACE_MS). */
const CREATE_GRACE_MS = 60_000;
/** The sweeper's period under `npm run dev` is 2 s: this is a few sweeps. */
const SETTLE_POLL_MS = 2_500;
const SETTLE_DEADLINE_MS = 240_000;
const logPath = "bench/results/crash.log";
const ledgerPath = "bench/results/crash-ledger.json";

// ---------------------------------------------------------------------------------------------
// Randomness, pacing and requests
// ---------------------------------------------------------------------------------------------

const random = seededRandom(seed);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

/** Set when the kill begins: from then on no request is sent. */
let stopping = false;

/**
 * One shared pace for every request of the script, so the admin token stays well under its rate
 * limit (about 2,000 requests per 10 s); a 429 would still be recorded as an answered 4xx.
 */
let nextSlot = 0;
async function paced(): Promise<void> {
  const now = performance.now();
  const slot = Math.max(now, nextSlot);
  nextSlot = slot + 1000 / rate;
  if (slot > now) await sleep(slot - now);
}

type Answer =
  | { kind: "2xx" | "4xx" | "5xx"; status: number; code: number | null; body: unknown }
  | { kind: "no answer"; error: string };

type Envelope = { success?: boolean; errors?: { code: number; message: string }[]; result?: unknown };

function urlOf(server: DevServer, path: string): string {
  return `${server.baseUrl}/accounts/${server.accountId}/workflows/${WORKFLOW}${path}`;
}

/**
 * One request with the admin token; a connection that dies (the kill) is "no answer". Once the
 * kill has begun nothing more is sent (undefined): only requests already on their way count.
 */
async function send(
  server: DevServer,
  method: string,
  path: string,
  body?: string,
): Promise<{ sentAt: number; answer: Answer } | undefined> {
  await paced();
  if (stopping) return undefined;
  const sentAt = Date.now();
  return { sentAt, answer: await answerOf(server, method, path, body) };
}

async function answerOf(server: DevServer, method: string, path: string, body?: string): Promise<Answer> {
  try {
    const response = await fetch(urlOf(server, path), {
      method,
      headers: { Authorization: `Bearer ${server.token}`, "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body }),
      // A request the dying server never answers must not hold its client forever.
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (a proxy's error page): kept as text in the ledger.
    }
    const kind = response.status < 300 ? "2xx" : response.status < 500 ? "4xx" : "5xx";
    const code = (parsed as Envelope | null)?.errors?.[0]?.code ?? null;
    return { kind, status: response.status, code, body: parsed };
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return { kind: "no answer", error: `${String(error)}${cause}` };
  }
}

/** A GET that must succeed (used after the restart, outside the ledger). */
async function read<T>(server: DevServer, path: string): Promise<{ status: number; body: Envelope & { result: T } }> {
  await paced();
  const response = await fetch(urlOf(server, path), { headers: { Authorization: `Bearer ${server.token}` } });
  const body = (await response.json()) as Envelope & { result: T };
  if (response.status >= 500) throw new Error(`GET ${path}: ${response.status} ${JSON.stringify(body)}`);
  return { status: response.status, body };
}

// ---------------------------------------------------------------------------------------------
// The ledger and each instance's plan
// ---------------------------------------------------------------------------------------------

type StepOp = "pause" | "resume" | "terminate" | "event";
type Op = "create" | "duplicate" | "invalid" | StepOp;
const OPS: readonly Op[] = ["create", "duplicate", "invalid", "pause", "resume", "terminate", "event"];

type Verdict = "verified" | "lost" | "doubled" | "trace" | "inconsistent";

type Row = {
  seq: number;
  client: number;
  op: Op;
  id: string;
  /** For invalid creates: what is wrong with the body. */
  variant?: string;
  /** Epoch ms, so they compare with the server's timestamps (same machine). */
  sentAt: number;
  answeredAt: number;
  answer: Answer;
  verdict?: Verdict;
  note?: string;
  /** For a request without an answer: whether it took effect. */
  effect?: "took" | "did not" | "either way";
};

type Params = { orderId: string; amount: number };

type Instance = {
  id: string;
  client: number;
  params: Params;
  create: Row;
  /** What is left of the plan; nothing is sent after a request whose outcome is unknown. */
  plan: StepOp[];
  steps: Row[];
  duplicates: Row[];
  open: boolean;
};

/**
 * Plans whose outcome follows from the answers: an event always comes last (a pause racing the
 * workflow's own finish would make the end depend on timing), and after a terminate only
 * requests the API must refuse (409: finished).
 */
const PLANS: readonly StepOp[][] = [
  [],
  ["event"],
  ["terminate"],
  ["pause"],
  ["pause", "resume"],
  ["pause", "resume", "event"],
  ["pause", "terminate"],
  ["terminate", "event", "pause"],
];

const INVALID: readonly { variant: string; body: (id: string, params: Params) => { id: string; body: string } }[] = [
  {
    variant: "id with a space",
    body: (id, params) => ({ id: `${id} x`, body: JSON.stringify({ instance_id: `${id} x`, params }) }),
  },
  {
    variant: "id of 101 characters",
    body: (id, params) => {
      const long = `${id}-`.padEnd(101, "x");
      return { id: long, body: JSON.stringify({ instance_id: long, params }) };
    },
  },
  {
    variant: "unknown location_hint",
    body: (id, params) => ({ id, body: JSON.stringify({ instance_id: id, params, location_hint: "mars" }) }),
  },
  {
    variant: "retention that is no duration",
    body: (id, params) => ({
      id,
      body: JSON.stringify({ instance_id: id, params, instance_retention: { success_retention: "forever" } }),
    }),
  },
  { variant: "malformed JSON", body: (id) => ({ id, body: `{"instance_id":"${id}","params":{` }) },
];

const ledger: Row[] = [];
const instances: Instance[] = [];
/** Ids of refused creates that must not exist afterwards: the schema's refusals, and 4xx of fresh ids. */
const neverCreated: Row[] = [];
const run = Date.now().toString(36);

async function record(
  server: DevServer,
  client: number,
  op: Op,
  id: string,
  request: { method: string; path: string; body?: string },
  variant?: string,
): Promise<Row | undefined> {
  const sent = await send(server, request.method, request.path, request.body);
  if (sent === undefined) return undefined;
  const { sentAt, answer } = sent;
  const row: Row = {
    seq: ledger.length,
    client,
    op,
    id,
    ...(variant === undefined ? {} : { variant }),
    sentAt,
    answeredAt: Date.now(),
    answer,
  };
  ledger.push(row);
  return row;
}

const statusPath = (id: string) => `/instances/${encodeURIComponent(id)}/status`;

/** One client: a loop of random requests, one at a time, each on instances it created itself. */
async function client(server: DevServer, index: number): Promise<void> {
  const mine: Instance[] = [];
  let serial = 0;
  while (!stopping) {
    const open = mine.filter((instance) => instance.open && instance.plan.length > 0);
    const created = mine.filter((instance) => instance.open && instance.create.answer.kind === "2xx");
    const roll = random();
    if (open.length > 0 && roll < 0.45) {
      const instance = pick(open);
      const op = instance.plan[0];
      if (op === undefined) continue;
      const request =
        op === "event"
          ? {
              method: "POST",
              path: `/instances/${encodeURIComponent(instance.id)}/events/${EVENT}`,
              body: JSON.stringify({ approved: true }),
            }
          : { method: "PATCH", path: statusPath(instance.id), body: JSON.stringify({ status: op }) };
      const row = await record(server, index, op, instance.id, request);
      if (row === undefined) break;
      instance.steps.push(row);
      instance.plan.shift();
      if (row.answer.kind === "no answer" || row.answer.kind === "5xx") instance.open = false;
    } else if (created.length > 0 && roll < 0.55) {
      const instance = pick(created);
      const params = { orderId: instance.id, amount: 999_999 };
      const row = await record(server, index, "duplicate", instance.id, {
        method: "POST",
        path: "/instances",
        body: JSON.stringify({ instance_id: instance.id, params }),
      });
      if (row === undefined) break;
      instance.duplicates.push(row);
    } else if (roll < 0.65) {
      const { variant, body } = pick(INVALID);
      const request = body(`crash-${run}-${index}-bad-${serial++}`, { orderId: "bad", amount: 1 });
      const row = await record(
        server,
        index,
        "invalid",
        request.id,
        { method: "POST", path: "/instances", body: request.body },
        variant,
      );
      if (row === undefined) break;
      neverCreated.push(row);
    } else {
      const id = `crash-${run}-${index}-${serial++}`;
      const params = { orderId: id, amount: 1 + Math.floor(random() * 100) };
      const row = await record(server, index, "create", id, {
        method: "POST",
        path: "/instances",
        body: JSON.stringify({ instance_id: id, params }),
      });
      if (row === undefined) break;
      if (row.answer.kind === "4xx") {
        neverCreated.push(row);
        continue;
      }
      const instance: Instance = {
        id,
        client: index,
        params,
        create: row,
        plan: [...pick(PLANS)],
        steps: [],
        duplicates: [],
        open: row.answer.kind === "2xx",
      };
      mine.push(instance);
      instances.push(instance);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// What each instance should be: its answered requests folded over a small model
// ---------------------------------------------------------------------------------------------

/** "pausedWithEvent": paused with an approval the engine holds until the run resumes. */
type Model = "absent" | "waiting" | "paused" | "pausedWithEvent" | "complete" | "terminated";

function next(state: Model, op: Op): Model {
  switch (op) {
    case "create":
      return state === "absent" ? "waiting" : state;
    case "pause":
      return state === "waiting" ? "paused" : state;
    case "resume":
      return state === "paused" ? "waiting" : state === "pausedWithEvent" ? "complete" : state;
    case "event":
      return state === "waiting" ? "complete" : state === "paused" ? "pausedWithEvent" : state;
    case "terminate":
      return state === "waiting" || state === "paused" || state === "pausedWithEvent" ? "terminated" : state;
    case "duplicate":
    case "invalid":
      return state;
  }
}

/** What the API reports for a model state; "absent" is a 404 and no list entry. */
function observable(state: Model): string {
  return state === "pausedWithEvent" ? "paused" : state;
}

function fold(rows: Row[], include: (row: Row) => boolean): string {
  let state: Model = "absent";
  for (const row of rows) if (include(row)) state = next(state, row.op);
  return observable(state);
}

const took = (row: Row) => row.answer.kind === "2xx";
const unknown = (row: Row) => row.answer.kind === "no answer" || row.answer.kind === "5xx";

// ---------------------------------------------------------------------------------------------
// Reading the index and the engine after the restart
// ---------------------------------------------------------------------------------------------

type Summary = { id: string; status: string; created_on: string };
type Step = { type: string; name?: string; finished?: boolean; success?: boolean | null };
type Details = { status: string; params: unknown; queued: string; output: string | null; steps: Step[] };

/** Every entry of the workflow's list, by following its cursor (per_page at most 100). */
async function listAll(server: DevServer): Promise<Summary[]> {
  const all: Summary[] = [];
  let cursor: string | undefined;
  do {
    const { status, body } = await read<Summary[]>(
      server,
      `/instances?per_page=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    if (status !== 200) throw new Error(`list: ${status} ${JSON.stringify(body)}`);
    all.push(...body.result);
    cursor = (body as { result_info?: { cursor?: string } }).result_info?.cursor;
  } while (cursor);
  return all;
}

/** Statuses an instance of these plans only passes through. */
const TRANSIENT = new Set(["queued", "running", "waitingForPause", "rollingBack"]);

/**
 * Waits until the index has settled: past the grace after which the server drops ids reserved
 * by creates the kill cut short, no instance in a passing status, and the same list twice.
 */
async function untilSettled(server: DevServer, notBefore: number): Promise<{ list: Summary[]; settled: boolean }> {
  const deadline = Date.now() + SETTLE_DEADLINE_MS;
  let previous: string | undefined;
  for (;;) {
    const list = await listAll(server);
    const key = JSON.stringify(list.map(({ id, status }) => [id, status]).sort());
    const calm = list.every(({ status }) => !TRANSIENT.has(status));
    if (Date.now() >= notBefore && calm && key === previous) return { list, settled: true };
    if (Date.now() > deadline) return { list, settled: false };
    previous = key;
    await sleep(SETTLE_POLL_MS);
  }
}

/**
 * The local engine (miniflare's Workflows engine) has no alarms: after a restart, a run the kill
 * cut short (in a step, in the 2 s sleep, waiting to pause) stays where it was, unlike on
 * Cloudflare, until a call runs its engine again. An event does (the engine's `receiveEvent`
 * restarts a run that is not running and replays it from its stored steps), so every instance
 * gets one of a type order-approval never waits for: it changes nothing the plans expect, and an
 * approval answered 2xx before the kill must then be found in the engine's stored events and
 * complete the order. Paused instances stay paused; finished and unknown ones refuse it (409, 404).
 */
async function wakeAll(server: DevServer): Promise<Map<string, number>> {
  const answers = await eachLimited(
    instances,
    8,
    async (instance) =>
      (await send(server, "POST", `/instances/${encodeURIComponent(instance.id)}/events/${WAKE_EVENT}`))?.answer,
  );
  const tally = new Map<string, number>();
  for (const answer of answers) {
    const key =
      answer === undefined || answer.kind === "no answer"
        ? "no answer"
        : `${answer.status}${answer.code ? `/${answer.code}` : ""}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
    if (answer === undefined || answer.kind === "no answer" || answer.kind === "5xx")
      throw new Error(`waking an instance failed: ${JSON.stringify(answer)}`);
  }
  return tally;
}

async function engineView(server: DevServer, id: string): Promise<Details | undefined> {
  const { status, body } = await read<Details>(server, `/instances/${encodeURIComponent(id)}`);
  if (status === 404) return undefined;
  if (status !== 200) throw new Error(`GET ${id}: ${status} ${JSON.stringify(body)}`);
  return body.result;
}

/** The steps of an instance that have not ended. */
function openSteps(view: Details): string {
  return view.steps
    .filter((step) => step.finished === false || step.success === null)
    .map((step) => step.name)
    .join(", ");
}

/**
 * An unfinished, unpaused instance that is not waiting for its approval: under `npm run dev`
 * only a run the kill cut short and nothing started again looks so once the index has settled.
 */
function isCutShort(view: Details): boolean {
  if (!["queued", "running", "waiting", "waitingForPause"].includes(view.status)) return false;
  const open = view.steps.filter((step) => step.finished === false || step.success === null);
  return !(open.length === 1 && open[0]?.type === "waitForEvent");
}

/** Runs `task` over `items`, `width` at a time. */
async function eachLimited<T, R>(items: T[], width: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let cursor = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (cursor < items.length) {
        const index = cursor++;
        results[index] = await task(items[index] as T);
      }
    }),
  );
  return results;
}

function judge(row: Row, verdict: Verdict, note?: string): void {
  // The first bad verdict stays: it is the one the note explains.
  if (row.verdict !== undefined && row.verdict !== "verified") return;
  row.verdict = verdict;
  if (note !== undefined) row.note = note;
}

/** Requests without an answer, by what became of them: taken, not taken, or no telling (a no-op). */
const unanswered = { took: 0, "did not": 0, "either way": 0 };
/** Instances still as the kill left them once the index settled, after the wake (isCutShort). */
const frozen: string[] = [];

/**
 * Checks one instance's rows against what the engine and the index show, and gives each row a
 * verdict. A mismatch is put on the request that explains it: a 4xx whose effect is there
 * (trace), a 2xx whose effect is missing (lost).
 */
function verifyInstance(instance: Instance, engine: Details | undefined, listed: string[]): void {
  const rows = [instance.create, ...instance.steps];
  const engineSays = engine?.status ?? "absent";
  const indexSays = listed.length === 0 ? "absent" : listed.join("+");
  const expected = new Set([fold(rows, took)]);
  const open = rows.find(unknown);
  if (open) expected.add(fold(rows, (row) => took(row) || row === open));
  const shown = `engine ${engineSays}, index ${indexSays}, expected ${[...expected].join(" or ")}`;

  if (listed.length > 1) judge(instance.create, "doubled", `listed ${listed.length} times; ${shown}`);
  for (const seen of new Set([engineSays, indexSays])) {
    if (expected.has(seen)) continue;
    const trace = rows.find((row) => row.answer.kind === "4xx" && fold(rows, (r) => took(r) || r === row) === seen);
    const lost = rows.find((row) => took(row) && fold(rows, (r) => took(r) && r !== row) === seen);
    const last = [...rows].reverse().find(took) ?? instance.create;
    if (trace) judge(trace, "trace", shown);
    else judge(lost ?? last, "lost", shown);
  }
  if (engineSays !== indexSays && expected.has(engineSays) && expected.has(indexSays) && open) {
    judge(open, "inconsistent", shown);
  }
  if (open) {
    const without = fold(rows, took);
    const withIt = fold(rows, (row) => took(row) || row === open);
    const outcome = without === withIt ? "either way" : engineSays === withIt ? "took" : "did not";
    unanswered[outcome]++;
    open.effect = outcome;
  }
  if (engine && isCutShort(engine)) frozen.push(`${instance.id} (${engine.status}: ${openSteps(engine) || "no step"})`);
  // An approval that completed the order shows in its output: the event's payload was read.
  if (engine?.status === "complete") {
    const outcome = (JSON.parse(engine.output ?? "null") as { outcome?: string } | null)?.outcome;
    const event = instance.steps.find((row) => row.op === "event" && (took(row) || unknown(row)));
    if (outcome !== "confirmed" && event) judge(event, "lost", `complete with outcome ${outcome}`);
  }
  // A create that took keeps its params and its creation time (within the create's request).
  if (engine && took(instance.create)) {
    const queued = Date.parse(engine.queued);
    if (!isDeepStrictEqual(engine.params, instance.params))
      judge(instance.create, "lost", `params now ${JSON.stringify(engine.params)}`);
    if (queued < instance.create.sentAt - 5 || queued > instance.create.answeredAt + 5)
      judge(instance.create, "lost", `created at ${engine.queued}, outside its create request`);
  }
  for (const row of rows) if (row.verdict === undefined) row.verdict = "verified";

  // A duplicate create changes nothing: the instance above is the original, listed once.
  for (const row of instance.duplicates) {
    if (row.answer.kind === "2xx") judge(row, "doubled", `a second create of ${instance.id} was accepted`);
    const changed =
      listed.length !== 1 ||
      engine === undefined ||
      !isDeepStrictEqual(engine.params, instance.params) ||
      instance.create.verdict !== "verified";
    if (changed && row.answer.kind !== "2xx") judge(row, "trace", `original: ${shown}`);
    if (row.verdict === undefined) row.verdict = "verified";
  }
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

const runStart = performance.now();
const state = mkdtempSync(join(tmpdir(), "control-plane-crash-"));
let server: DevServer | undefined;
try {
  server = await startDevServer({ logPath, persistTo: state });
  const first = server;
  // The first request defines the demo workflows; it is no part of the burst.
  const warm = await read<{ name: string }>(first, "");
  if (warm.status !== 200) throw new Error(`GET ${WORKFLOW}: ${warm.status} ${JSON.stringify(warm.body)}`);

  console.log(`Burst: ${clients} clients for ${seconds} s, at most ${rate} requests/s in all (seed ${seed})`);
  const burstStart = performance.now();
  const running = Array.from({ length: clients }, (_, index) => client(first, index));
  await sleep(seconds * 1000);
  const answeredBefore = ledger.length;
  stopping = true;
  const killedAt = Date.now();
  await first.crash();
  await Promise.all(running);
  // The burst is over: the checks' own requests (the wake events) may go out again.
  stopping = false;
  const burstSeconds = (performance.now() - burstStart) / 1000;
  const noAnswer = ledger.filter((row) => row.answer.kind === "no answer").length;
  console.log(
    `SIGKILLed npm run dev after ${answeredBefore} answered requests (${(answeredBefore / seconds).toFixed(0)}/s); ${noAnswer} were in flight and got no answer`,
  );

  const restartStart = performance.now();
  server = await startDevServer({ logPath, persistTo: state });
  const second = server;
  console.log(`Restarted on the same state in ${((performance.now() - restartStart) / 1000).toFixed(1)} s`);
  // Given the index a few sweeps to catch up, how many runs the local engine left where the kill did.
  await sleep(2 * SETTLE_POLL_MS);
  const beforeWake = await eachLimited(instances, 8, (instance) => engineView(second, instance.id));
  const leftBehind = beforeWake.filter((view) => view !== undefined && isCutShort(view)).length;
  const woken = await wakeAll(second);
  console.log(
    `${leftBehind} runs were still where the kill left them (the local engine has no alarms); woke all ${instances.length} instances with a '${WAKE_EVENT}' event: ${[...woken].map(([answer, n]) => `${n} × ${answer}`).join(", ")}`,
  );
  // Ids reserved by a create the kill cut short are dropped once the grace is over; until then
  // the index holds them and the engine does not, as designed.
  const cutShort = instances.some((instance) => unknown(instance.create));
  const notBefore = cutShort ? killedAt + CREATE_GRACE_MS + 2 * SETTLE_POLL_MS : 0;
  if (cutShort) console.log("A create got no answer: waiting out the 60 s grace for abandoned reservations");
  const settleStart = performance.now();
  const { list, settled } = await untilSettled(second, notBefore);
  console.log(
    settled
      ? `The index settled ${((performance.now() - settleStart) / 1000).toFixed(1)} s after the wake`
      : `The index had not settled after ${SETTLE_DEADLINE_MS / 1000} s: checking what it shows`,
  );

  // The index as the sweeper left it, before the reads by id (which sync it too).
  const listed = new Map<string, string[]>();
  for (const { id, status } of list) listed.set(id, [...(listed.get(id) ?? []), status]);
  const views = await eachLimited(instances, 8, (instance) => engineView(second, instance.id));
  instances.forEach((instance, index) => {
    verifyInstance(instance, views[index], listed.get(instance.id) ?? []);
  });
  const refusedViews = await eachLimited(neverCreated, 8, (row) => engineView(second, row.id));
  neverCreated.forEach((row, index) => {
    const view = refusedViews[index];
    const entries = listed.get(row.id) ?? [];
    if (view !== undefined || entries.length > 0)
      judge(row, "trace", `engine ${view?.status ?? "absent"}, index ${entries.join("+") || "absent"}`);
    else judge(row, "verified");
  });
  const known = new Set([...instances.map((instance) => instance.id), ...neverCreated.map((row) => row.id)]);
  const strangers = list.filter(({ id }) => !known.has(id));

  // The maintained counts against a recount of the whole list, read after the reads by id.
  const after = await listAll(second);
  const { body: workflow } = await read<{ instances: Record<string, number> }>(second, "");
  const recount = new Map<string, number>();
  for (const { status } of after) recount.set(status, (recount.get(status) ?? 0) + 1);
  const statuses = [...new Set([...Object.keys(workflow.result.instances), ...recount.keys()])];
  const countsOff = statuses.filter(
    (status) => (workflow.result.instances[status] ?? 0) !== (recount.get(status) ?? 0),
  );
  const movedByReads = after.filter(({ id, status }) => !listed.get(id)?.includes(status)).length;

  // The ledger's summary, per operation.
  const columns = ["2xx", "4xx", "5xx", "no answer", "verified", "lost", "doubled", "trace", "inconsistent"] as const;
  const table = OPS.map((op) => {
    const rows = ledger.filter((row) => row.op === op);
    const count = (predicate: (row: Row) => boolean) => rows.filter(predicate).length;
    return {
      op,
      sent: rows.length,
      "2xx": count((row) => row.answer.kind === "2xx"),
      "4xx": count((row) => row.answer.kind === "4xx"),
      "5xx": count((row) => row.answer.kind === "5xx"),
      "no answer": count((row) => row.answer.kind === "no answer"),
      verified: count((row) => row.verdict === "verified"),
      lost: count((row) => row.verdict === "lost"),
      doubled: count((row) => row.verdict === "doubled"),
      trace: count((row) => row.verdict === "trace"),
      inconsistent: count((row) => row.verdict === "inconsistent"),
    };
  });
  const header = ["op".padEnd(10), "sent".padStart(6), ...columns.map((column) => column.padStart(column.length + 2))];
  console.log(`\nLedger: ${ledger.length} requests\n  ${header.join("")}`);
  for (const line of table) {
    console.log(
      `  ${line.op.padEnd(10)}${String(line.sent).padStart(6)}${columns.map((column) => String(line[column]).padStart(column.length + 2)).join("")}`,
    );
  }
  const statusesSeen = new Map<string, number>();
  for (const row of ledger) {
    const key = `${row.op} ${row.answer.kind === "no answer" ? "no answer" : `${row.answer.status}${row.answer.code ? `/${row.answer.code}` : ""}`}`;
    statusesSeen.set(key, (statusesSeen.get(key) ?? 0) + 1);
  }
  console.log(`  answers: ${[...statusesSeen].map(([key, n]) => `${n} × ${key}`).join(", ")}`);
  console.log(
    `  without an answer: ${unanswered.took} took effect, ${unanswered["did not"]} did not, ${unanswered["either way"]} no telling (a no-op either way), and ${neverCreated.filter(unknown).length + ledger.filter((row) => row.op === "duplicate" && unknown(row)).length} invalid or duplicate creates, refused either way`,
  );
  const finals = new Map<string, number>();
  for (const { status } of after) finals.set(status, (finals.get(status) ?? 0) + 1);
  console.log(`  instances at the end: ${[...finals].map(([status, n]) => `${n} ${status}`).join(", ")}`);
  console.log(
    `  counts: ${statuses.map((status) => `${status} ${workflow.result.instances[status] ?? 0}/${recount.get(status) ?? 0}`).join(", ")} (maintained/recount)`,
  );

  const bad = ledger.filter((row) => row.verdict !== "verified");
  for (const row of bad.slice(0, 40)) {
    const answer = row.answer.kind === "no answer" ? `no answer (${row.answer.error})` : String(row.answer.status);
    console.log(
      `  ${(row.verdict ?? "unchecked").toUpperCase()} #${row.seq} ${row.op} ${row.id} → ${answer}: ${row.note ?? ""}`,
    );
  }
  for (const id of frozen.slice(0, 20)) console.log(`  FROZEN ${id}: still where the kill left it`);
  for (const stranger of strangers.slice(0, 20))
    console.log(`  TRACE ${stranger.id} (${stranger.status}) is listed but no request created it`);
  const fiveHundreds = ledger.filter((row) => row.answer.kind === "5xx");
  for (const row of fiveHundreds.slice(0, 10))
    console.log(`  5xx #${row.seq} ${row.op} ${row.id}: ${JSON.stringify(row.answer)}`);

  const total = (verdict: Verdict) => ledger.filter((row) => row.verdict === verdict).length;
  const traces = total("trace") + strangers.length;
  console.log(
    `\n${total("lost")} lost, ${total("doubled")} doubled, ${traces} traces, ${total("inconsistent")} inconsistent; ` +
      `${fiveHundreds.length} × 5xx; counts ${countsOff.length === 0 ? "equal a recount" : `off for ${countsOff.join(", ")}`}; ` +
      `${movedByReads} list entries moved by the reads by id; burst ${burstSeconds.toFixed(1)} s, run ${((performance.now() - runStart) / 1000).toFixed(0)} s`,
  );
  const checks = [
    ["the index settled", settled],
    ["every row verified", bad.length === 0],
    ["no instance nobody created", strangers.length === 0],
    ["no 5xx", fiveHundreds.length === 0],
    ["no run left where the kill cut it short", frozen.length === 0],
    ["counts equal a recount", countsOff.length === 0],
    ["the index had caught up before the reads by id", movedByReads === 0],
  ] as const;
  for (const [name, ok] of checks) console.log(`  ${ok ? "ok  " : "FAIL"} ${name}`);
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(ledgerPath, `${JSON.stringify({ seed, clients, seconds, rate, ledger }, null, 1)}\n`);
  console.log(`The whole ledger: ${ledgerPath}`);
  const tally = (n: number, label: string, timed: string, key = label) => ({
    key,
    label,
    value: n,
    unit: "",
    digits: 0,
    timed,
  });
  writeResults(provenance, {
    params: { ...args, seed },
    samples: { "per operation": table, answers: Object.fromEntries(statusesSeen), unanswered },
    figures: [
      tally(ledger.length, "requests in the ledger", "requests sent during the burst and the checks"),
      tally(answeredBefore, "answered before the SIGKILL", `the burst's answers, ${clients} clients for ${seconds} s`),
      tally(noAnswer, "in flight at the SIGKILL", "requests that got no answer"),
      tally(total("lost"), "lost", "2xx answers whose effect is not in the engine or the index"),
      tally(total("doubled"), "doubled", "2xx answers reflected more than once"),
      tally(traces, "traces", "4xx answers or unknown requests that left an instance behind"),
      tally(total("inconsistent"), "inconsistent", "engine and index disagree"),
      tally(fiveHundreds.length, "5xx", "answers of 5xx"),
      tally(frozen.length, "left where the kill cut them", "runs frozen after the wake"),
      tally(checks.filter(([, ok]) => !ok).length, "checks failed", "of the checks listed below", "failed"),
    ],
    checks: checks.map(([name, ok]) => ({ name, ok })),
  });
  if (checks.some(([, ok]) => !ok)) process.exitCode = 1;
} finally {
  await server?.stop();
  rmSync(state, { recursive: true, force: true });
}
