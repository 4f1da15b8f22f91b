import { evictDurableObject, introspectWorkflowInstance } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { JournalSnapshot, LogStep } from "../../src/domain/journal";
import { uniqueId } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { journal, stepsOf } from "../helpers/journal";

type StepEntry = Extract<LogStep, { type: "step" | "rollback" }>;

const names = (steps: LogStep[]) => steps.map((step) => (step.type === "termination" ? "termination" : step.name));

/** Syncs the instance's journal with the engine, as the sweeper does, until it shows `status`. */
async function syncedUntil(workflowName: string, id: string, status: JournalSnapshot["status"]) {
  return eventually(async () => {
    await exports.MirrorSync.sync({ workflowName, instanceId: id });
    const snapshot = await journal(workflowName, id).snapshot();
    if (snapshot.status !== status) throw new Error(`journal says ${snapshot.status}`);
    return snapshot;
  });
}

/** Synthetic engine events, numbered from `from`, one millisecond apart. */
function events(from: number, shapes: Record<string, unknown>[]): WorkflowInstanceEvent[] {
  return shapes.map(
    (shape, index) =>
      ({
        instanceId: "synthetic",
        eventId: from + index,
        timestamp: 1_000 + from + index,
        ...shape,
      }) as WorkflowInstanceEvent,
  );
}

const CONFIG = { retries: { limit: 1, delay: 0, backoff: "constant" }, timeout: "1 minute" };

/** A run with one step, from queued to complete. */
const RUN: Record<string, unknown>[] = [
  { type: "workflow_queued" },
  { type: "workflow_started", params: { n: 1 } },
  { type: "workflow_running" },
  { type: "step_started", stepName: "work-1", config: CONFIG },
  { type: "attempt_started", stepName: "work-1", attempt: 1 },
  { type: "attempt_completed", stepName: "work-1", attempt: 1 },
  { type: "step_completed", stepName: "work-1", output: { ok: true } },
  { type: "workflow_completed", output: { done: true } },
];

describe("InstanceJournal: a plain Workflow mirrored from the engine's events", () => {
  it("shows every attempt with its error, the sleep, the open wait, then the output", async ({ expect }) => {
    const id = uniqueId("mirror");
    await using instance = await introspectWorkflowInstance(env.PROBE, id);
    await instance.modify(async (m) => {
      await m.disableRetryDelays();
    });
    await env.PROBE.create({ id, params: { failures: 2, sleep: true, waitFor: "go" } });

    const waiting = await eventually(async () => {
      const snapshot = await syncedUntil("probe", id, "waiting");
      if (snapshot.stepCount < 4) throw new Error("still sleeping");
      return snapshot;
    });
    expect(waiting).toMatchObject({
      error: null,
      output: null,
      params: JSON.stringify({ failures: 2, sleep: true, waitFor: "go" }),
    });
    const open = await stepsOf("probe", id);
    expect(names(open)).toEqual(["prepare-1", "flaky-1", "nap-1", "wait-1"]);
    const flaky = open[1] as StepEntry;
    expect(flaky).toMatchObject({
      success: true,
      output: JSON.stringify({ succeededOn: 3 }),
      config: { retries: { limit: 2, delay: 0, backoff: "constant" }, timeout: "10 minutes" },
    });
    expect(flaky.attempts).toEqual([
      expect.objectContaining({ success: false, error: { name: "Error", message: "attempt 1 failed" } }),
      expect.objectContaining({ success: false, error: { name: "Error", message: "attempt 2 failed" } }),
      expect.objectContaining({ success: true, error: null }),
    ]);
    expect(open[2]).toMatchObject({ type: "sleep", finished: true, error: null });
    expect(open[3]).toMatchObject({ type: "waitForEvent", finished: false, event_type: "go", end: null });
    expect(open[3]).not.toHaveProperty("output");

    await (await env.PROBE.get(id)).sendEvent({ type: "go", payload: { approved: true } });
    const done = await syncedUntil("probe", id, "complete");
    expect(done).toMatchObject({ output: JSON.stringify({ done: true }), error: null });
    expect(done.endedAt).not.toBeNull();
    expect((await stepsOf("probe", id))[3]).toMatchObject({ type: "waitForEvent", finished: true });
  });

  it("applies a redelivered event once", async ({ expect }) => {
    const id = uniqueId("redelivered");
    const target = { workflowName: "probe", instanceId: id };
    await journal("probe", id).ingest(target, events(1, RUN));
    const once = await journal("probe", id).snapshot();
    await journal("probe", id).ingest(target, [...events(1, RUN), ...events(4, RUN.slice(3, 6))]);
    const again = await journal("probe", id).snapshot();
    expect(again).toEqual(once);
    expect(once).toMatchObject({ status: "complete", stepCount: 1, params: JSON.stringify({ n: 1 }) });
    expect(((await stepsOf("probe", id))[0] as StepEntry).attempts).toHaveLength(1);
  });

  it("cuts a long output at 1,024 characters of JSON, never inside a character", async ({ expect }) => {
    const id = uniqueId("emoji");
    // A quote and 1,022 characters, then emoji (two UTF-16 units each): the limit falls inside one.
    const output = `${"x".repeat(1_022)}${"😀".repeat(10)}`;
    const run = RUN.map((shape) => (shape.type === "step_completed" ? { ...shape, output } : shape));
    await journal("probe", id).ingest({ workflowName: "probe", instanceId: id }, events(1, run));
    const [work] = await stepsOf("probe", id);
    expect(work).toMatchObject({ output_truncated: true, output: JSON.stringify(output).slice(0, 1_023) });
    expect((work as StepEntry).output).toHaveLength(1_023);
  });

  it("resumes from its cursor after an eviction, without repeating a step", async ({ expect }) => {
    const id = uniqueId("evicted");
    await using instance = await introspectWorkflowInstance(env.PROBE, id);
    await instance.modify(async (m) => {
      await m.disableSleeps();
    });
    await env.PROBE.create({ id, params: { loops: 3, waitFor: "go" } });
    await eventually(async () => {
      if ((await syncedUntil("probe", id, "waiting")).stepCount < 5) throw new Error("not waiting for the event yet");
    });
    await evictDurableObject(journal("probe", id));
    await (await env.PROBE.get(id)).sendEvent({ type: "go", payload: {} });
    await syncedUntil("probe", id, "complete");
    expect(names(await stepsOf("probe", id))).toEqual(["prepare-1", "loop-1", "loop-2", "loop-3", "wait-1"]);
  });

  it("shows a sensitive step's output as redacted", async ({ expect }) => {
    const id = uniqueId("secret");
    await using _instance = await introspectWorkflowInstance(env.PROBE, id);
    await env.PROBE.create({ id, params: { secret: true } });
    await syncedUntil("probe", id, "complete");
    const secret = (await stepsOf("probe", id)).find((step) => step.type === "step" && step.name === "secret-1");
    expect(secret).toMatchObject({ output: "[REDACTED]", config: { sensitive: "output" } });
    expect(JSON.stringify(await stepsOf("probe", id))).not.toContain("s3cr3t");
    expect(await journal("probe", id).step("secret-1", "step")).toMatchObject({
      status: "complete",
      output: '"[REDACTED]"',
    });
  });

  it.for([
    {
      why: "an error thrown by run()",
      params: { fail: "boom at end" },
      error: { name: "Error", message: "boom at end" },
    },
    {
      why: "a NonRetryableError from a step",
      params: { fatal: "bad input" },
      error: { name: "NonRetryableError", message: "bad input" },
    },
  ])("ends errored on $why, with the error", async ({ params, error }, { expect }) => {
    const id = uniqueId("errored");
    await using _instance = await introspectWorkflowInstance(env.PROBE, id);
    await env.PROBE.create({ id, params });
    const errored = await syncedUntil("probe", id, "errored");
    expect(errored.error).toEqual(error);
    expect(errored.endedAt).not.toBeNull();
    if ("fatal" in params) {
      const fatal = (await stepsOf("probe", id)).find((step) => step.type === "step" && step.name === "fatal-1");
      expect(fatal).toMatchObject({ success: false, attempts: [{ success: false, error }] });
    }
  });
});

describe("InstanceJournal: restarts", () => {
  it("shows only the new run after a restart", async ({ expect }) => {
    const id = uniqueId("restarted");
    await using _instance = await introspectWorkflowInstance(env.PROBE, id);
    await env.PROBE.create({ id, params: { loops: 2 } });
    const first = await syncedUntil("probe", id, "complete");
    await (await env.PROBE.get(id)).restart();
    const again = await eventually(async () => {
      const snapshot = await syncedUntil("probe", id, "complete");
      if (snapshot.endedAt === first.endedAt) throw new Error("still the first run");
      return snapshot;
    });
    expect(again.startedAt).toBeGreaterThan(first.endedAt ?? 0);
    expect(names(await stepsOf("probe", id))).toEqual(["prepare-1", "loop-1", "loop-2"]);
  });

  it("keeps the steps before the one a restart starts from, and only once", async ({ expect }) => {
    const id = uniqueId("restarted-from");
    await using _instance = await introspectWorkflowInstance(env.PROBE, id);
    await env.PROBE.create({ id, params: { loops: 3 } });
    await syncedUntil("probe", id, "complete");
    const before = await stepsOf("probe", id);
    await (await env.PROBE.get(id)).restart({ from: { name: "loop", count: 2 } });
    const after = await eventually(async () => {
      await syncedUntil("probe", id, "complete");
      const steps = await stepsOf("probe", id);
      const [, , third] = steps;
      const previous = before[2];
      if (third?.type !== "step" || previous?.type !== "step" || third.start === previous.start) {
        throw new Error("not the new run yet");
      }
      return steps;
    });
    expect(names(after)).toEqual(["prepare-1", "loop-1", "loop-2", "loop-3"]);
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
  });

  it("forgets the old run when the engine appends a new run to the same history", async ({ expect }) => {
    const id = uniqueId("appended");
    const target = { workflowName: "probe", instanceId: id };
    await journal("probe", id).ingest(target, events(1, RUN));
    await journal("probe", id).ingest(
      target,
      events(9, RUN.slice(0, 4)).map((event) => ({ ...event, timestamp: event.timestamp + 5_000 })),
    );
    const restarted = await journal("probe", id).snapshot();
    expect(restarted).toMatchObject({ status: "running", endedAt: null, output: null, stepCount: 1 });
    expect((await stepsOf("probe", id))[0]).toMatchObject({ name: "work-1", end: null, attempts: [] });
  });
});

describe("InstanceJournal: rollback", () => {
  it("shows the rollback handlers that ran, and the outcome, when terminated with rollback", async ({ expect }) => {
    const id = uniqueId("rollback");
    await using _instance = await introspectWorkflowInstance(env.PROBE, id);
    await env.PROBE.create({ id, params: { rollback: true, waitFor: "go" } });
    await syncedUntil("probe", id, "waiting");
    await (await env.PROBE.get(id)).terminate({ rollback: true });
    const terminated = await syncedUntil("probe", id, "terminated");
    expect(terminated.rollback).toEqual({ outcome: "complete", error: null });
    const steps = await stepsOf("probe", id);
    expect(steps.map((step) => step.type)).toEqual(["step", "waitForEvent", "rollback", "termination"]);
    expect(steps[2]).toMatchObject({
      type: "rollback",
      name: "prepare-1",
      success: true,
      attempts: [{ success: true }],
    });
  });
});
