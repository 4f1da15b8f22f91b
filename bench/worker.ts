/**
 * The Worker the benchmarks run: the control plane as deployed, plus the /__bench routes they
 * need inside it. The bench scripts start it as `npm run dev -- bench/worker.ts`, an alternate
 * entry point, so none of this is in the production Worker.
 */
import type { WorkflowEvent, WorkflowStep } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { createDb } from "../src/db/client";
import { instances, workflows } from "../src/db/schema";
import { INSTANCE_STATUSES, TRIGGER_SOURCES } from "../src/domain/instance-status";
import { parseSelector } from "../src/domain/labels";
import { BULK_CONCURRENCY } from "../src/services/bulk/bulk-job";
import worker from "../src/index";
import { forEachConcurrently } from "../src/lib/concurrency";
import { createDeps, journalOf } from "../src/services/deps";
import { labelCountRows, statusCountRows } from "../src/services/instances/counts";
import { listPlan, workflowIdOf } from "../src/services/instances/list";
import { syncInstance } from "../src/services/instances/mirror";
import { type SummaryUpdate, writeSummaries } from "../src/index/summaries";
import { TrackedWorkflow } from "../src/tracking";
import { type OrderApprovalParams, OrderApprovalWorkflow } from "../src/workflows/order-approval";

export * from "../src/index";

/** What bench/wrangler-config.ts binds beside wrangler.toml's bindings. */
type BenchEnv = Env & { WORKFLOW_EVENTS_PRODUCER?: Queue<unknown> };

/**
 * order-approval's very steps, run as a TrackedWorkflow (bound as tracked-order by
 * bench/wrangler-config.ts): the freshness benchmark's nudges come from its steps.
 */
export class TrackedOrderWorkflow extends TrackedWorkflow<Env, OrderApprovalParams> {
  async execute(event: Readonly<WorkflowEvent<OrderApprovalParams>>, step: WorkflowStep) {
    // run() reads only its arguments, so it runs as is on this instance.
    return OrderApprovalWorkflow.prototype.run.call(this as unknown as OrderApprovalWorkflow, event, step);
  }
}

export default {
  ...worker,
  async fetch(request, env, ctx) {
    return (await benchRoute(request, env, ctx)) ?? worker.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;

async function benchRoute(request: Request, env: Env, ctx: ExecutionContext): Promise<Response | undefined> {
  const url = new URL(request.url);
  switch (url.pathname) {
    case "/__bench/bare-create":
      return bareCreate(request, env);
    case "/__bench/seed":
      return seed(request, env);
    case "/__bench/explain":
      return explain(url, env);
    case "/__bench/transitions":
      return transitions(request, env);
    case "/__bench/bare-action":
      return bareAction(request, env);
    case "/__bench/d1-size":
      return Response.json({ bytes: (await env.DB.prepare("SELECT 1").run()).meta.size_after });
    case "/__bench/journal-bytes":
      return Response.json({
        bytes: await journalOf(
          env,
          url.searchParams.get("workflow") ?? "",
          url.searchParams.get("id") ?? "",
        ).storageBytes(),
      });
    case "/__bench/journal":
      return Response.json(
        await journalOf(env, url.searchParams.get("workflow") ?? "", url.searchParams.get("id") ?? "").snapshot(),
      );
    case "/__bench/send-events":
      return sendEvents(request, env);
    case "/__bench/sync":
      return sync(request, env, ctx);
    case "/__bench/read-raw":
      return readRaw(request, env);
    case "/__bench/queue-send":
      return queueSend(request, env);
    default:
      return undefined;
  }
}

type Targets = { workflow: string; ids: string[] };

/**
 * Reads finished instances' whole event streams through the engine's own subscriptions,
 * `concurrency` at once, recording nothing: the ceiling of a sync.
 */
async function readRaw(request: Request, env: Env): Promise<Response> {
  const { workflow, ids, concurrency } = await request.json<Targets & { concurrency: number }>();
  const engine = createDeps(env).engines.bindingFor(workflow)?.engine;
  if (!engine) return new Response(`no binding for ${workflow}`, { status: 404 });
  const started = Date.now();
  let events = 0;
  await forEachConcurrently(ids, concurrency, async (id) => {
    using subscription = await (await engine.get(id)).subscribe();
    for (let next = await subscription.next(); !next.done; next = await subscription.next()) events++;
  });
  return Response.json({ ms: Date.now() - started, events });
}

/** Sends events straight through the binding, behind the API's back: nothing tells the control plane. */
async function sendEvents(request: Request, env: Env): Promise<Response> {
  const { workflow, ids, type, payload } = await request.json<Targets & { type: string; payload: unknown }>();
  const engine = createDeps(env).engines.bindingFor(workflow)?.engine;
  if (!engine) return new Response(`no binding for ${workflow}`, { status: 404 });
  await forEachConcurrently(ids, 16, async (id) => (await engine.get(id)).sendEvent({ type, payload }));
  return Response.json({ sentAt: Date.now() });
}

/**
 * Syncs instances' journals with the engine in this invocation, `concurrency` at once, from their
 * first event when `fresh` (their journals cleared first); says how long it took and how many
 * events the journals hold after it (their cursors: event ids count from 1).
 */
async function sync(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const { workflow, ids, concurrency, fresh } = await request.json<Targets & { concurrency: number; fresh: boolean }>();
  const deps = createDeps(env, ctx);
  if (fresh) await forEachConcurrently(ids, concurrency, (id) => deps.journal(workflow, id).clear());
  const started = Date.now();
  await forEachConcurrently(ids, concurrency, async (id) => {
    await syncInstance(deps, { workflowName: workflow, instanceId: id });
  });
  const ms = Date.now() - started;
  let events = 0;
  await forEachConcurrently(ids, concurrency, async (id) => {
    const { position } = await deps.journal(workflow, id).begin({ workflowName: workflow, instanceId: id });
    events += position.cursor;
  });
  return Response.json({ ms, events });
}

/**
 * Once the engine has completed these instances, sends an `instance.completed` Event
 * Subscriptions message for each, in the documented shape,
 * to the queue the Worker consumes, through a producer binding: the local Queue delivers it to
 * the consumer as wrangler.toml configures it. Says when it was sent.
 */
async function queueSend(request: Request, env: BenchEnv): Promise<Response> {
  const { workflow, ids } = await request.json<Targets>();
  const engine = createDeps(env).engines.bindingFor(workflow)?.engine;
  if (!engine) return new Response(`no binding for ${workflow}`, { status: 404 });
  if (!env.WORKFLOW_EVENTS_PRODUCER) return new Response("no WORKFLOW_EVENTS_PRODUCER binding", { status: 500 });
  // Cloudflare sends `instance.completed` once the instance has completed: so does this.
  await forEachConcurrently(ids, 16, async (id) => {
    const instance = await engine.get(id);
    while ((await instance.status()).status !== "complete") await new Promise((resolve) => setTimeout(resolve, 10));
  });
  const sentAt = Date.now();
  await env.WORKFLOW_EVENTS_PRODUCER.sendBatch(
    ids.map((instanceId) => ({
      body: {
        type: "cf.workflows.workflow.instance.completed",
        source: { type: "workflows.workflow", workflowName: workflow },
        payload: { versionId: "bench", instanceId },
        metadata: {
          accountId: env.ACCOUNT_ID,
          eventSubscriptionId: "bench",
          eventSchemaVersion: 1,
          eventTimestamp: new Date(sentAt).toISOString(),
        },
      },
    })),
  );
  return Response.json({ sentAt });
}

/**
 * The ceiling of the bulk benchmark: the engine calls a bulk job makes per instance for the
 * action (terminate: get, terminate; pause: get, status, pause, status), as many at once as a
 * job has in flight, from a plain Worker invocation, with nothing recorded.
 */
async function bareAction(request: Request, env: Env): Promise<Response> {
  const { action, ids } = await request.json<{ action: "terminate" | "pause"; ids: string[] }>();
  const started = Date.now();
  await forEachConcurrently(ids, BULK_CONCURRENCY, async (id) => {
    const instance = await env.ORDER_APPROVAL.get(id);
    if (action === "terminate") return instance.terminate();
    await instance.status();
    await instance.pause();
    await instance.status();
  });
  return Response.json({ ms: Date.now() - started });
}

/** The baseline of the creation benchmark: the bare binding call `POST …/instances` wraps. */
async function bareCreate(request: Request, env: Env): Promise<Response> {
  const params = await request.json<{ name: string }>();
  const instance = await env.HELLO_WORLD.create({ params });
  return Response.json({ id: instance.id });
}

type SeedRequest = {
  workflow: string;
  from: number;
  count: number;
  startMs: number;
  stepMs: number;
  /** Give each row 5 labels: tenant (1,000 values), region (5), plan (3), channel (4), batch (50). */
  labels?: boolean;
  /**
   * Rows as the journal writes instances it has followed to their end (revision 1, started, and
   * 70% complete, 20% errored, 10% terminated, after up to 5 minutes), so the metrics count them.
   */
  finished?: boolean;
};

/**
 * Inserts `count` index rows for a workflow into the same tables (triggers and indexes
 * included) through one INSERT … SELECT over a generated series: numbered from `from`,
 * created `stepMs` apart from `startMs`, statuses, versions and trigger sources spread evenly.
 */
async function seed(request: Request, env: Env): Promise<Response> {
  const { workflow, from, count, startMs, stepMs, labels, finished } = await request.json<SeedRequest>();
  const db = createDb(env.DB);
  const [row] = await db.select().from(workflows).where(eq(workflows.name, workflow));
  if (!row) return new Response(`no workflow ${workflow}`, { status: 404 });
  const statuses = sql.raw(`json('${JSON.stringify(INSTANCE_STATUSES)}')`);
  const sources = sql.raw(`json('${JSON.stringify(TRIGGER_SOURCES)}')`);
  if (finished) {
    await db.run(sql`
      insert into ${instances} (workflow_id, id, version_id, status, trigger_source, params, created_on,
        started_on, ended_on, modified_on, error_name, error_shape, revision)
      with recursive series(n) as (
        select cast(${from} as integer) union all select n + 1 from series where n < ${from + count - 1}
      ), timed as (
        select n, ${startMs} + n * ${stepMs} as created,
          case when n % 10 < 7 then 'complete' when n % 10 < 9 then 'errored' else 'terminated' end as status
        from series
      )
      select ${row.id}, 'seed-' || printf('%08d', n), case when n % 4 = 0 then 'v-old' else ${row.versionId} end,
        status, 'api', null, created, created + 500, created + 600 + (n * 7919) % 300000,
        created + 600 + (n * 7919) % 300000,
        case when status = 'errored' then 'Error' end,
        case when status = 'errored' then (case when n % 2 = 0 then 'card <n> declined' else 'timeout after <n> ms' end) end,
        1
      from timed
    `);
    return Response.json({ inserted: count });
  }
  await db.run(sql`
    insert into ${instances} (workflow_id, id, version_id, status, trigger_source, params, created_on,
      started_on, ended_on, modified_on, error_name, revision, labels)
    with recursive series(n) as (
      select cast(${from} as integer) union all select n + 1 from series where n < ${from + count - 1}
    )
    select ${row.id}, 'seed-' || printf('%08d', n), case when n % 4 = 0 then 'v-old' else ${row.versionId} end,
      json_extract(${statuses}, '$[' || (n % 9) || ']'), json_extract(${sources}, '$[' || (n % 5) || ']'), null,
      ${startMs} + n * ${stepMs}, ${startMs} + n * ${stepMs}, null, ${startMs} + n * ${stepMs},
      case when n % 9 = 3 then 'Error' end, 0,
      ${labels ? SEED_LABELS : sql`null`}
    from series
  `);
  return Response.json({ inserted: count });
}

const SEED_LABELS = sql.raw(`json_object(
  'tenant', 'tenant-' || printf('%04d', n % 1000),
  'region', json_extract('["eu","us","apac","sam","afr"]', '$[' || (n % 5) || ']'),
  'plan', json_extract('["free","pro","enterprise"]', '$[' || (n % 3) || ']'),
  'channel', json_extract('["web","api","batch","partner"]', '$[' || (n % 4) || ']'),
  'batch', 'b-' || (n % 50))`);

type TransitionsRequest = { workflow: string; count: number; batch: number; metrics: boolean; round: number };

/** The triggers that maintain the metrics (migrations 0012, 0014), dropped and restored to measure their cost. */
const METRIC_TRIGGERS = [
  "instances_metrics_insert",
  "instances_metrics_update",
  "instances_step_metrics_insert",
  "instances_step_metrics_update",
  "instances_failed_step_insert",
  "instances_failed_step_update",
];

/** As many attempt facts as a journal's write carries (src/durable-objects/instance-journal.ts). */
const ATTEMPT_FACTS = 32;
const FACTS_START = Date.UTC(2026, 10, 30);
/** One more attempt has ended for every instance at each round: each write carries one new fact. */
let attemptsEnded = ATTEMPT_FACTS;

/**
 * Times `count` instance transitions written as the journals write them (`writeSummaries`,
 * `batch` summaries per D1 batch, each with the 32 latest attempt facts), each a real event for
 * the metrics (a run ends, or restarts, and an attempt ended): with the metrics triggers, or with
 * them dropped for the measurement and restored after.
 */
async function transitions(request: Request, env: Env): Promise<Response> {
  const { workflow, count, batch, metrics, round } = await request.json<TransitionsRequest>();
  const db = createDb(env.DB);
  const kept = metrics
    ? []
    : (
        await env.DB.prepare(
          `SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN (${METRIC_TRIGGERS.map(() => "?").join(", ")})`,
        )
          .bind(...METRIC_TRIGGERS)
          .all<{ sql: string }>()
      ).results;
  try {
    for (const name of metrics ? [] : METRIC_TRIGGERS) await env.DB.exec(`DROP TRIGGER ${name}`);
    const now = Date.now();
    attemptsEnded++;
    const updates = Array.from({ length: count }, (_, index): SummaryUpdate => {
      // Even rounds end the run, odd ones restart it: every write is an event.
      const ends = round % 2 === 0;
      return {
        workflowName: workflow,
        instanceId: `transition-${index}`,
        revision: now + index,
        status: ends ? (index % 5 === 0 ? "errored" : "complete") : "running",
        startedOn: now - 60_000 + round,
        endedOn: ends ? now : null,
        errorName: ends && index % 5 === 0 ? "Error" : null,
        errorShape: ends && index % 5 === 0 ? "boom <n>" : null,
        failedStep: ends && index % 5 === 0 ? "step 0" : null,
        // As a journal writes them: the latest 32 ended attempts, one of them new since the last write.
        attempts: Array.from({ length: ATTEMPT_FACTS }, (_, back) => {
          const seq = attemptsEnded - back;
          const end = FACTS_START + seq * 1_000;
          const mark = `${String(end).padStart(15, "0")}:${String(seq).padStart(8, "0")}:0001`;
          return { mark, step: `step ${seq % 4}`, ok: seq % 7 === 0 ? 0 : 1, start: end - 500, end } as const;
        }),
        at: now,
        createdOn: now - 120_000,
        triggerSource: "api",
        params: null,
      };
    });
    const started = performance.now();
    for (let start = 0; start < updates.length; start += batch) {
      await writeSummaries(db, updates.slice(start, start + batch));
    }
    return Response.json({ ms: performance.now() - started });
  } finally {
    for (const { sql: text } of kept) await env.DB.prepare(text).run();
  }
}

/**
 * The query plans of a list with the query string given (or, with `counts_label=KEY`, of the
 * counts grouped by that label), to show they use indexes.
 */
async function explain(url: URL, env: Env): Promise<Response> {
  const db = createDb(env.DB);
  const workflowName = url.searchParams.get("workflow") ?? "";
  const [row] = await db.select().from(workflows).where(eq(workflows.name, workflowName));
  if (!row) return new Response(`no workflow ${workflowName}`, { status: 404 });
  const param = (name: string) => url.searchParams.get(name) ?? undefined;
  const countsLabel = param("counts_label");
  if (countsLabel !== undefined) {
    return Response.json(
      await explainAll(env, [statusCountRows(db, row.id).toSQL(), labelCountRows(db, row.id, countsLabel).toSQL()]),
    );
  }
  const labels = param("labels");
  const plan = listPlan(db, workflowIdOf(workflowName), {
    labels: labels === undefined ? undefined : parseSelector(labels),
    status: param("status") as (typeof INSTANCE_STATUSES)[number] | undefined,
    dateStart: param("date_start") ? new Date(param("date_start") ?? "") : undefined,
    dateEnd: param("date_end") ? new Date(param("date_end") ?? "") : undefined,
    direction: param("direction") as "asc" | "desc" | undefined,
    cursor: param("cursor"),
    perPage: Number(param("per_page") ?? 100),
  });
  return Response.json(await explainAll(env, [plan.rows.toSQL(), plan.total.query.toSQL()]));
}

async function explainAll(env: Env, queries: { sql: string; params: unknown[] }[]) {
  return Promise.all(
    queries.map(async ({ sql: text, params }) => {
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${text}`)
        .bind(...params)
        .all<{ detail: string }>();
      return { sql: text, plan: results.map((step) => step.detail) };
    }),
  );
}
