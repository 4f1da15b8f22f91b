/**
 * The Worker the benchmarks run: the control plane as deployed, plus the /__bench routes they
 * need inside it. The bench scripts start it as `npm run dev -- bench/worker.ts`, an alternate
 * entry point, so none of this is in the production Worker.
 */
import type { WorkflowEvent, WorkflowStep } from "cloudflare:workers";
import worker from "../src/index";
import { forEachConcurrently } from "../src/lib/concurrency";
import { BULK_CONCURRENCY } from "../src/services/bulk/bulk-job";
import { createDeps, journalOf } from "../src/services/deps";
import { createInstance } from "../src/services/instances/create";
import { syncInstance } from "../src/services/instances/mirror";
import { TrackedWorkflow } from "../src/tracking";
import { type OrderApprovalParams, OrderApprovalWorkflow } from "../src/workflows/order-approval";
import { indexRoute } from "./index-routes.workers";

export * from "../src/index";
// An explicit export wins over the `export *` above: the bench binds its own segment class.
export { IndexSegment } from "./segment.workers";

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
  const index = await indexRoute(url, request, env, ctx, async (inner) => worker.fetch(inner, env, ctx));
  if (index) return index;
  switch (url.pathname) {
    case "/__bench/bare-create":
      return bareCreate(request, env);
    case "/__bench/service-create":
      return serviceCreate(request, env, ctx);
    case "/__bench/bare-action":
      return bareAction(request, env);
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

/**
 * The create service `POST …/instances` runs (definition read, index reservation, engine
 * create) without the HTTP app around it: what splits the creation benchmark's gap in two.
 */
async function serviceCreate(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const params = await request.json<{ name: string }>();
  return Response.json(await createInstance(createDeps(env, ctx), "hello-world", { params }));
}
