import { introspectWorkflowInstance } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, it } from "vitest";
import type { LogStep } from "../../src/domain/journal";
import { api, putWorkflow, uniqueId } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { journal, stepsOf } from "../helpers/journal";

type StepEntry = Extract<LogStep, { type: "step" }>;

/** The probe's definition, so its index rows have a workflow to belong to. */
beforeAll(async () => {
  await putWorkflow("probe", { class_name: "ProbeWorkflow", script_name: "workflow-control-plane" });
});

async function finishedSnapshot(id: string, status = "complete") {
  return eventually(async () => {
    const snapshot = await journal("probe", id).snapshot();
    if (snapshot.status !== status) throw new Error(`journal says ${snapshot.status}`);
    return snapshot;
  });
}

const names = (steps: LogStep[]) => steps.map((step) => (step.type === "termination" ? "termination" : step.name));

describe("TrackedWorkflow", () => {
  it("records the lifecycle and every step in Cloudflare's log shape", async ({ expect }) => {
    const id = uniqueId("shape");
    await using instance = await introspectWorkflowInstance(env.PROBE, id);
    await instance.modify(async (m) => {
      await m.disableSleeps();
      await m.mockEvent({ type: "go", payload: { approved: true } });
    });
    await env.PROBE.create({ id, params: { loops: 2, sleep: true, waitFor: "go" } });
    await instance.waitForStatus("complete");
    const snapshot = await finishedSnapshot(id);
    expect(snapshot).toMatchObject({ status: "complete", output: JSON.stringify({ done: true }), error: null });
    expect(snapshot.startedAt).not.toBeNull();
    expect(snapshot.endedAt).not.toBeNull();

    const steps = await stepsOf("probe", id);
    expect(names(steps)).toEqual(["prepare-1", "loop-1", "loop-2", "nap-1", "wait-1"]);
    expect(steps[0]).toMatchObject({
      type: "step",
      success: true,
      output: { prepared: true },
      config: { retries: { limit: 5, delay: 10_000, backoff: "exponential" }, timeout: "10 minutes" },
      attempts: [{ success: true, error: null }],
    });
    expect(steps[2]).toMatchObject({ type: "step", output: { index: 1 } });
    expect(steps[3]).toMatchObject({ type: "sleep", finished: true, error: null });
    expect(steps[4]).toMatchObject({
      type: "waitForEvent",
      finished: true,
      event_type: "go",
      output: { type: "go", payload: { approved: true } },
    });
  });

  it("records failing attempts with their errors, then the one that succeeded", async ({ expect }) => {
    const id = uniqueId("retry");
    await using instance = await introspectWorkflowInstance(env.PROBE, id);
    await instance.modify(async (m) => {
      await m.disableRetryDelays();
    });
    await env.PROBE.create({ id, params: { failures: 2 } });
    await instance.waitForStatus("complete");
    await finishedSnapshot(id);
    const flaky = (await stepsOf("probe", id)).find(
      (step) => step.type === "step" && step.name === "flaky-1",
    ) as StepEntry;
    expect(flaky).toMatchObject({
      success: true,
      output: { succeededOn: 3 },
      config: { retries: { limit: 2, delay: 0, backoff: "constant" } },
    });
    expect(flaky.attempts).toEqual([
      expect.objectContaining({ success: false, error: { name: "Error", message: "attempt 1 failed" } }),
      expect.objectContaining({ success: false, error: { name: "Error", message: "attempt 2 failed" } }),
      expect.objectContaining({ success: true, error: null }),
    ]);
    for (const attempt of flaky.attempts) expect(attempt.end).not.toBeNull();
  });

  it("records an errored instance with its error and indexes the error name", async ({ expect }) => {
    const id = uniqueId("boom");
    await using instance = await introspectWorkflowInstance(env.PROBE, id);
    await env.PROBE.create({ id, params: { fail: "the warehouse is on fire" } });
    await instance.waitForStatus("errored");
    const snapshot = await finishedSnapshot(id, "errored");
    expect(snapshot.error).toEqual({ name: "Error", message: "the warehouse is on fire" });
    const listed = await eventually(async () => {
      const response = await api<{ id: string; status: string; error_name: string | null }[]>(
        "GET",
        `/workflows/probe/instances?error_name=Error&id_prefix=${id}`,
      );
      if (response.body.result.length === 0) throw new Error("not indexed yet");
      return response.body.result;
    });
    expect(listed).toEqual([expect.objectContaining({ id, status: "errored", error_name: "Error" })]);
  });

  it("does not duplicate anything when the engine replays run() after a pause", async ({ expect }) => {
    const id = uniqueId("replay");
    await using instance = await introspectWorkflowInstance(env.PROBE, id);
    await env.PROBE.create({ id, params: { loops: 1, waitFor: "go" } });
    await eventually(async () => expect((await journal("probe", id).snapshot()).status).toBe("waiting"));
    const handle = await env.PROBE.get(id);
    await handle.pause();
    await instance.waitForStatus("paused");
    await handle.resume();
    await handle.sendEvent({ type: "go", payload: { replayed: true } });
    await instance.waitForStatus("complete");
    await finishedSnapshot(id);
    const steps = await stepsOf("probe", id);
    expect(names(steps)).toEqual(["prepare-1", "loop-1", "wait-1"]);
    for (const step of steps.filter((entry): entry is StepEntry => entry.type === "step")) {
      expect(step.attempts).toHaveLength(1);
    }
  });

  it("starts the history afresh on a restart", async ({ expect }) => {
    const id = uniqueId("restart");
    await using instance = await introspectWorkflowInstance(env.PROBE, id);
    await env.PROBE.create({ id, params: { loops: 2 } });
    await instance.waitForStatus("complete");
    await finishedSnapshot(id);
    const restartedAt = Date.now();
    await (await env.PROBE.get(id)).restart();
    await instance.waitForStatus("complete");
    const steps = await eventually(async () => {
      const current = await stepsOf("probe", id);
      const first = current[0];
      if (!(first?.type === "step" && first.start && Date.parse(first.start) >= restartedAt))
        throw new Error("not yet");
      if (current.length < 3 || current.some((step) => step.type === "step" && step.end === null))
        throw new Error("not yet");
      return current;
    });
    expect(names(steps)).toEqual(["prepare-1", "loop-1", "loop-2"]);
    for (const step of steps as StepEntry[]) {
      expect(step.attempts).toHaveLength(1);
      expect(Date.parse(step.start ?? "")).toBeGreaterThanOrEqual(restartedAt);
    }
  });

  it("keeps the steps before the one a restart starts from", async ({ expect }) => {
    const id = uniqueId("from");
    await using instance = await introspectWorkflowInstance(env.PROBE, id);
    await env.PROBE.create({ id, params: { loops: 3 } });
    await instance.waitForStatus("complete");
    await finishedSnapshot(id);
    const before = (await stepsOf("probe", id)) as StepEntry[];
    const restartedAt = Date.now();
    await (await env.PROBE.get(id)).restart({ from: { name: "loop", count: 2 } });
    await instance.waitForStatus("complete");
    const after = await eventually(async () => {
      const current = (await stepsOf("probe", id)) as StepEntry[];
      const last = current.at(-1);
      if (current.length !== 4 || !last?.end || Date.parse(last.start ?? "") < restartedAt) throw new Error("not yet");
      return current;
    });
    expect(names(after)).toEqual(["prepare-1", "loop-1", "loop-2", "loop-3"]);
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
    for (const step of after.slice(2)) expect(Date.parse(step.start ?? "")).toBeGreaterThanOrEqual(restartedAt);
  });

  it("cuts long outputs in the log, keeps them whole for …/step, and redacts sensitive ones", async ({ expect }) => {
    const id = uniqueId("outputs");
    await using instance = await introspectWorkflowInstance(env.PROBE, id);
    await env.PROBE.create({ id, params: { outputSize: 10_000, secret: true } });
    await instance.waitForStatus("complete");
    await finishedSnapshot(id);
    const steps = (await stepsOf("probe", id)) as StepEntry[];
    const big = steps.find((step) => step.name === "big-1");
    expect(big?.output_truncated).toBe(true);
    expect(typeof big?.output === "string" && big.output.length).toBeLessThan(4200);
    const full = await journal("probe", id).step("big-1", "step");
    expect(JSON.parse(full?.output ?? "null")).toHaveLength(10_000);
    const secret = steps.find((step) => step.name === "secret-1");
    expect(secret).toMatchObject({ output: "[REDACTED]", config: { sensitive: "output" } });
    const secretDetail = await journal("probe", id).step("secret-1", "step");
    expect(secretDetail?.output).toBe(JSON.stringify("[REDACTED]"));
  });
});
