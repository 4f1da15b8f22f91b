/**
 * The bench Worker's routes into workflows' indexes: seeding segments, their sizes, the plans of
 * the queries a read runs in them, and timing the journals' writes.
 */
import { createDb } from "../src/db/client";
import { indexSegments } from "../src/db/schema";
import type { IndexAddress } from "../src/index/config";
import { readTargets } from "../src/index/directory";
import type { SummaryUpdate } from "../src/index/summaries";
import { acrossSegments, createIndexAccess, writeToIndex } from "../src/index/workflow-index";
import { FLUSH_BATCH } from "../src/index/writer";
import { forEachConcurrently } from "../src/lib/concurrency";
import type { IndexSegment, SegmentSeed } from "./segment.workers";

type Fetch = (request: Request) => Promise<Response>;

/** Answers the index routes; undefined for any other path. */
export async function indexRoute(
  url: URL,
  request: Request,
  env: Env,
  _ctx: ExecutionContext,
  fetchApi: Fetch,
): Promise<Response | undefined> {
  switch (url.pathname) {
    case "/__bench/seed":
      return seed(await request.json<SeedRequest>(), env);
    case "/__bench/index-size":
      return indexSize(url.searchParams.get("workflow") ?? "", env);
    case "/__bench/d1-size":
      return Response.json({ bytes: (await env.DB.prepare("SELECT 1").run()).meta.size_after });
    case "/__bench/explain":
      return explain(url, request, env, fetchApi);
    case "/__bench/transitions":
      return transitions(await request.json<TransitionsRequest>(), env);
    default:
      return undefined;
  }
}

/** The bench's own segment class behind the production binding (bench/worker.ts exports it). */
function benchSegment(env: Env, address: Pick<IndexAddress, "workflowId" | "jurisdiction">, seq: number) {
  const binding = env.INDEX_SEGMENT as unknown as DurableObjectNamespace<IndexSegment>;
  const namespace = address.jurisdiction ? binding.jurisdiction(address.jurisdiction) : binding;
  return namespace.getByName(`${address.workflowId}/${seq}`);
}

async function targetOf(env: Env, workflow: string) {
  return (await readTargets(createDb(env.DB), [workflow])).get(workflow);
}

type SeedRequest = Omit<SegmentSeed, "endsOn"> & {
  workflow: string;
  /**
   * The row numbers at which segments 1, 2, … start (each segment's span starts at its first
   * row's creation time); by default every `INDEX_SEGMENT_SIZE` rows.
   */
  segmentStarts?: number[];
};

/**
 * Seeds rows `from` … `from + count - 1` of a workflow into the segments they belong to, each
 * segment's share in one INSERT … SELECT (triggers firing), and adds the segments past the
 * first to D1's directory, so their spans are disjoint and in order, as the writers leave them.
 */
async function seed(body: SeedRequest, env: Env): Promise<Response> {
  const target = await targetOf(env, body.workflow);
  if (!target) return new Response(`no workflow ${body.workflow}`, { status: 404 });
  const size = createIndexAccess(env).segmentSize;
  const startOf = (seq: number) => (seq === 0 ? 0 : (body.segmentStarts?.[seq - 1] ?? seq * size));
  const endOf = (seq: number) => (body.segmentStarts ? body.segmentStarts[seq] : (seq + 1) * size);
  const timeOf = (row: number) => body.startMs + row * body.stepMs;
  const end = body.from + body.count;
  const db = createDb(env.DB);
  let row = body.from;
  let seq = 0;
  while (row < end) {
    const segmentEnd = endOf(seq);
    if (segmentEnd !== undefined && segmentEnd <= row) {
      seq++;
      continue;
    }
    const pieceEnd = segmentEnd === undefined ? end : Math.min(end, segmentEnd);
    if (seq > 0) {
      await db
        .insert(indexSegments)
        .values({ workflowId: target.address.workflowId, seq, startsOn: timeOf(startOf(seq)) })
        .onConflictDoNothing();
    }
    await benchSegment(env, target.address, seq).seed(target.config, {
      ...body,
      from: row,
      count: pieceEnd - row,
      endsOn: segmentEnd !== undefined && pieceEnd === segmentEnd ? timeOf(segmentEnd) : null,
    });
    row = pieceEnd;
  }
  return Response.json({ inserted: body.count, segments: seq + 1 });
}

/** What a workflow's index holds: its segments' instances and SQLite bytes, summed. */
async function indexSize(workflow: string, env: Env): Promise<Response> {
  const target = await targetOf(env, workflow);
  if (!target) return new Response(`no workflow ${workflow}`, { status: 404 });
  const stats = await acrossSegments(createIndexAccess(env), target.address, (segment) => segment.stats());
  return Response.json({
    segments: stats.length,
    bytes: stats.reduce((sum, each) => sum + each.bytes, 0),
    instances: stats.reduce((sum, each) => sum + each.instances, 0),
  });
}

/**
 * Runs the API request `path` (same token) while every segment of `workflow` records the reads
 * it runs, and answers the query plans of those reads, by segment: the plans of what the
 * services really ran, whatever query code they use.
 */
async function explain(url: URL, request: Request, env: Env, fetchApi: Fetch): Promise<Response> {
  const workflow = url.searchParams.get("workflow") ?? "";
  const path = url.searchParams.get("path") ?? "";
  const target = await targetOf(env, workflow);
  if (!target) return new Response(`no workflow ${workflow}`, { status: 404 });
  const segments = target.address.segments;
  await forEachConcurrently(segments, 16, (ref) => benchSegment(env, target.address, ref.seq).record());
  const answer = await fetchApi(new Request(new URL(path, url.origin), { headers: request.headers }));
  if (!answer.ok) return new Response(`${path}: ${answer.status} ${await answer.text()}`, { status: 500 });
  const plans = await Promise.all(
    segments.map(async (ref) => ({
      seq: ref.seq,
      statements: await benchSegment(env, target.address, ref.seq).explainRecorded(),
    })),
  );
  return Response.json(plans.filter((segment) => segment.statements.length > 0));
}

type TransitionsRequest = {
  workflow: string;
  count: number;
  /** Summaries per write: `FLUSH_BATCH` by default, as an `IndexWriter` flushes them. */
  batch?: number;
  /** Writes in flight at once (the index writers flush independently; 16 shards). */
  concurrency?: number;
  round: number;
  /** False to drop the metrics triggers in the workflow's segments for the measurement. */
  metrics?: boolean;
};

/** The triggers that maintain the metrics, dropped and restored to measure their cost. */
const METRIC_TRIGGERS = [
  "instances_metrics_insert",
  "instances_metrics_update",
  "instances_step_metrics_insert",
  "instances_step_metrics_update",
  "instances_failed_step_insert",
  "instances_failed_step_update",
  "instances_label_metrics_insert",
  "instances_label_metrics_update",
  "instances_label_metrics_first_labels",
];

/** As many attempt facts as a journal's write carries (src/index/journal/instance-journal.ts). */
const ATTEMPT_FACTS = 32;
const FACTS_START = Date.UTC(2026, 10, 30);
/** One more attempt has ended for every instance at each round: each write carries one new fact. */
let attemptsEnded = ATTEMPT_FACTS;
/** When the transitions' instances were created: fixed, so every round writes the same rows. */
let createdOn: number | undefined;

/**
 * Times `count` instance transitions written as the journals' summaries reach the index: through
 * `writeToIndex` (the writers' flush: one D1 read of the workflow's config and directory, then
 * one request per segment), `batch` summaries a write, `concurrency` writes at once, each summary
 * with the 32 latest attempt facts, each a real event for every trigger (a run ends, or restarts,
 * and an attempt ended).
 */
async function transitions(body: TransitionsRequest, env: Env): Promise<Response> {
  const { workflow, count, round, batch = FLUSH_BATCH, concurrency = 1, metrics = true } = body;
  const target = await targetOf(env, workflow);
  if (!target) return new Response(`no workflow ${workflow}`, { status: 404 });
  const segments = metrics ? [] : target.address.segments;
  const dropped = await Promise.all(
    segments.map((ref) => benchSegment(env, target.address, ref.seq).dropTriggers(METRIC_TRIGGERS)),
  );
  try {
    const now = Date.now();
    createdOn ??= now - 120_000;
    attemptsEnded++;
    const updates = Array.from({ length: count }, (_, index) => summary(workflow, index, round, now));
    const batches = Array.from({ length: Math.ceil(count / batch) }, (_, at) =>
      updates.slice(at * batch, (at + 1) * batch),
    );
    const db = createDb(env.DB);
    const index = createIndexAccess(env);
    const started = performance.now();
    await forEachConcurrently(batches, concurrency, (slice) => writeToIndex(db, index, slice));
    const ms = performance.now() - started;
    return Response.json({ ms, perSecond: count / (ms / 1000) });
  } finally {
    await Promise.all(
      segments.map((ref, at) => benchSegment(env, target.address, ref.seq).restoreTriggers(dropped[at] ?? [])),
    );
  }
}

/** Even rounds end the run, odd ones restart it: every write is an event. */
function summary(workflow: string, index: number, round: number, now: number): SummaryUpdate {
  const ends = round % 2 === 0;
  const failed = ends && index % 5 === 0;
  return {
    workflowName: workflow,
    instanceId: `transition-${index}`,
    revision: now + index,
    status: ends ? (failed ? "errored" : "complete") : "running",
    startedOn: now - 60_000 + round,
    endedOn: ends ? now : null,
    errorName: failed ? "Error" : null,
    errorShape: failed ? "boom <n>" : null,
    failedStep: failed ? "step 0" : null,
    // As a journal writes them: the latest 32 ended attempts, one of them new since the last write.
    attempts: Array.from({ length: ATTEMPT_FACTS }, (_, back) => {
      const seq = attemptsEnded - back;
      const end = FACTS_START + seq * 1_000;
      const mark = `${String(end).padStart(15, "0")}:${String(seq).padStart(8, "0")}:0001`;
      return { mark, step: `step ${seq % 4}`, ok: seq % 7 === 0 ? 0 : 1, start: end - 500, end } as const;
    }),
    at: now,
    createdOn: createdOn ?? now,
    triggerSource: "api",
    params: null,
  };
}
