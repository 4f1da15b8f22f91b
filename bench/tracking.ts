/**
 * `npm run bench:tracking`: the write path of step records and the read path of a long log.
 *
 *   npm run bench:tracking -- [--instances 1000] [--steps 10] [--group 25] [--concurrency 8] [--long 10000]
 *
 * 1. Sustained recorded step events per second: `instances` tracked instances report `steps`
 *    steps each (4 events a step, one report a step, as TrackedWorkflow sends them), each
 *    report through the ControlPlane entrypoint into the instance's journal. Instances run in
 *    groups of `group` (one HTTP request carries one report of each, so HTTP does not dominate),
 *    `concurrency` groups at a time. Checks that every journal holds every step and that the
 *    index caught up.
 * 2. Reading an instance with `long` steps: its log is streamed page by page; prints the time,
 *    the response size and the peak memory (VmHWM) of the workerd processes before and after.
 *
 * Only 127.0.0.1 is targeted.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { accountApi, numberArgs, startBenchServer } from "../scripts/lib/bench.ts";

/** The events of a report, as src/tracking/events.ts defines them (kept loose: Node cannot resolve the Worker's imports). */
type InstanceEvent = { kind: string; at: number } & Record<string, unknown>;

const {
  instances,
  steps,
  group,
  concurrency,
  long: longSteps,
} = numberArgs({ instances: 1000, steps: 10, group: 25, concurrency: 8, long: 10_000 });
const WORKFLOW = "bench-tracking";

const server = await startBenchServer("bench/results/tracking.log");
const { origin, account: api, request: call } = accountApi(server);

function stepEvents(name: string, at: number): InstanceEvent[] {
  const config = { retries: { limit: 5, delay: 10_000, backoff: "exponential" as const }, timeout: "10 minutes" };
  return [
    { kind: "stepStart", at, name, config },
    { kind: "attemptStart", at, name, attempt: 1 },
    { kind: "attemptEnd", at: at + 1, name, attempt: 1, error: null },
    { kind: "stepEnd", at: at + 1, name, output: JSON.stringify({ ok: true, name }), error: null, redacted: false },
  ];
}

/** One report per instance, all in one request. */
async function report(workflowName: string, events: Map<string, InstanceEvent[]>): Promise<void> {
  const reports = [...events].map(([instanceId, instanceEvents]) => ({
    workflowName,
    instanceId,
    queuedAt: Date.now(),
    params: null,
    cron: false,
    events: instanceEvents,
  }));
  await call(`${origin}/__bench/report`, { method: "POST", body: JSON.stringify(reports) });
}

/** Peak and current resident memory of the dev server's workerd processes, in MiB. */
function workerdMemory(): { peak: number; current: number } {
  const pids = execFileSync("ps", ["-eo", "pid=,comm="], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line.trim().endsWith("workerd"))
    .map((line) => line.trim().split(/\s+/)[0] ?? "");
  let peak = 0;
  let current = 0;
  for (const pid of pids) {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    peak += Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    current += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  }
  return { peak, current };
}

try {
  await call(`${api}/workflows/${WORKFLOW}`, {
    method: "PUT",
    body: JSON.stringify({ class_name: "BenchWorkflow", script_name: "bench-worker" }),
  });

  // 1. Sustained step events
  const run = Date.now().toString(36);
  const ids = Array.from({ length: instances }, (_, index) => `steps-${run}-${index}`);
  let events = 0;
  const started = performance.now();
  const groups = Array.from({ length: Math.ceil(instances / group) }, (_, index) =>
    ids.slice(index * group, (index + 1) * group),
  );
  const each = (members: string[], make: () => InstanceEvent[]) => new Map(members.map((id) => [id, make()]));
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let members = groups.shift(); members; members = groups.shift()) {
        await report(
          WORKFLOW,
          each(members, () => [{ kind: "run", at: Date.now() }]),
        );
        for (let step = 1; step <= steps; step++) {
          await report(
            WORKFLOW,
            each(members, () => stepEvents(`step ${step}-1`, Date.now())),
          );
          events += 4 * members.length;
        }
        await report(
          WORKFLOW,
          each(members, () => [{ kind: "complete", at: Date.now(), output: JSON.stringify({ done: true }) }]),
        );
        events += 2 * members.length;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const id of ids.filter((_, index) => index % Math.ceil(instances / 10) === 0)) {
    const snapshot = (await (await call(`${origin}/__bench/journal?workflow=${WORKFLOW}&id=${id}`)).json()) as {
      stepCount: number;
      status: string;
    };
    if (snapshot.stepCount !== steps || snapshot.status !== "complete")
      throw new Error(`${id}: ${JSON.stringify(snapshot)}`);
  }
  const indexedAfter = performance.now();
  for (;;) {
    const page = (await (await call(`${api}/workflows/${WORKFLOW}`)).json()) as {
      result: { instances: { complete: number } };
    };
    if (page.result.instances.complete >= instances) break;
    if (performance.now() - indexedAfter > 30_000) throw new Error("the index did not catch up within 30 s");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  console.log(
    `Recorded ${events.toLocaleString("en")} events (${instances} instances × ${steps} steps; ${concurrency} groups of ${group} at a time)`,
  );
  console.log(
    `  in ${seconds.toFixed(1)} s: ${(events / seconds).toFixed(0)} events/s, ${((instances * steps) / seconds).toFixed(0)} steps/s`,
  );
  console.log(`  index caught up ${(performance.now() - indexedAfter).toFixed(0)} ms after the last report`);

  // 2. One instance with a long log
  const created = (await (
    await call(`${api}/workflows/hello-world/instances`, {
      method: "POST",
      body: JSON.stringify({ params: { name: "long" } }),
    })
  ).json()) as { result: { id: string } };
  const id = created.result.id;
  for (let from = 1; from <= longSteps; from += 500) {
    const batch: InstanceEvent[] = [];
    for (let step = from; step < Math.min(from + 500, longSteps + 1); step++)
      batch.push(...stepEvents(`long step ${step}-1`, Date.now()));
    await report("hello-world", new Map([[id, batch]]));
  }
  const before = workerdMemory();
  const readStarted = performance.now();
  const response = await call(`${api}/workflows/hello-world/instances/${id}`);
  const text = await response.text();
  const readMs = performance.now() - readStarted;
  const after = workerdMemory();
  const body = JSON.parse(text) as { result: { step_count: number; steps: unknown[] } };
  console.log(
    `Read an instance with ${body.result.step_count.toLocaleString("en")} steps (${body.result.steps.length.toLocaleString("en")} returned)`,
  );
  console.log(
    `  ${(text.length / 1024 / 1024).toFixed(1)} MiB streamed in ${readMs.toFixed(0)} ms, in pages of 500 steps`,
  );
  console.log(
    `  workerd resident memory: ${before.current.toFixed(0)} → ${after.current.toFixed(0)} MiB; peak ${before.peak.toFixed(0)} → ${after.peak.toFixed(0)} MiB (+${(after.peak - before.peak).toFixed(0)})`,
  );
} finally {
  await server.stop();
}
