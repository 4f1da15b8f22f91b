import { introspectWorkflowInstance } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { LogStep } from "../../src/domain/journal";
import { api, createInstance, uniqueId } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { journal, stepsOf } from "../helpers/journal";

type StepEntry = Extract<LogStep, { type: "step" }>;

type Summary = { id: string; status: string; error_name: string | null };

async function listed(workflow: string, query: string): Promise<Summary[]> {
  return (await api<Summary[]>("GET", `/workflows/${workflow}/instances?${query}`)).body.result;
}

describe("TrackedWorkflow: the optional nudge", () => {
  it("keeps the list in step with the instance, with no sweep and no read by id", async ({ expect }) => {
    const id = uniqueId("nudged");
    await using instance = await introspectWorkflowInstance(env.NUDGED_PROBE, id);
    await instance.modify(async (m) => {
      await m.disableSleeps();
    });
    await createInstance("nudged-probe", { instance_id: id, params: { loops: 1, sleep: true, waitFor: "go" } });
    await eventually(async () =>
      expect(await listed("nudged-probe", `id_prefix=${id}&status=waiting`)).toHaveLength(1),
    );
    await (await env.NUDGED_PROBE.get(id)).sendEvent({ type: "go", payload: {} });
    await eventually(async () =>
      expect(await listed("nudged-probe", `id_prefix=${id}&status=complete`)).toHaveLength(1),
    );
  });
});

describe("the step log, read through the API", () => {
  it("indexes an errored instance with its error name", async ({ expect }) => {
    const id = uniqueId("boom");
    await using instance = await introspectWorkflowInstance(env.PROBE, id);
    await createInstance("probe", { instance_id: id, params: { fail: "the warehouse is on fire" } });
    await instance.waitForStatus("errored");
    const details = await api<{ status: string; error: unknown }>("GET", `/workflows/probe/instances/${id}`);
    expect(details.body.result).toMatchObject({
      status: "errored",
      error: { name: "Error", message: "the warehouse is on fire" },
    });
    expect(await listed("probe", `error_name=Error&id_prefix=${id}`)).toEqual([
      expect.objectContaining({ id, status: "errored", error_name: "Error" }),
    ]);
  });

  it("does not duplicate anything when the engine replays run() after a pause", async ({ expect }) => {
    const id = uniqueId("replay");
    await using instance = await introspectWorkflowInstance(env.PROBE, id);
    await createInstance("probe", { instance_id: id, params: { loops: 1, waitFor: "go" } });
    await instance.waitForStepResult({ name: "loop" });
    const handle = await env.PROBE.get(id);
    await handle.pause();
    await instance.waitForStatus("paused");
    await handle.resume();
    await handle.sendEvent({ type: "go", payload: { replayed: true } });
    await instance.waitForStatus("complete");
    await exports.MirrorSync.sync({ workflowName: "probe", instanceId: id });
    const steps = await stepsOf("probe", id);
    expect(steps.map((step) => (step.type === "termination" ? step.type : step.name))).toEqual([
      "prepare-1",
      "loop-1",
      "wait-1",
    ]);
    for (const step of steps.filter((entry): entry is StepEntry => entry.type === "step")) {
      expect(step.attempts).toHaveLength(1);
    }
  });

  it("cuts long outputs in the log, keeps them whole for …/step, and redacts sensitive ones", async ({ expect }) => {
    const id = uniqueId("outputs");
    await using instance = await introspectWorkflowInstance(env.PROBE, id);
    await createInstance("probe", { instance_id: id, params: { outputSize: 10_000, secret: true } });
    await instance.waitForStatus("complete");
    const details = await api<{ steps: StepEntry[] }>("GET", `/workflows/probe/instances/${id}`);
    const big = details.body.result.steps.find((step) => step.name === "big-1");
    expect(big?.output_truncated).toBe(true);
    // Cloudflare's log view: the output's JSON text, cut at 1,024 characters.
    expect(big?.output).toBe(JSON.stringify("x".repeat(10_000)).slice(0, 1024));
    const full = await api<{ output: string }>("GET", `/workflows/probe/instances/${id}/step?name=big-1&type=step`);
    expect(full.body.result.output).toHaveLength(10_000);
    const secret = details.body.result.steps.find((step) => step.name === "secret-1");
    expect(secret).toMatchObject({ output: "[REDACTED]", config: { sensitive: "output" } });
    expect((await journal("probe", id).step("secret-1", "step"))?.output).toBe(JSON.stringify("[REDACTED]"));
  });
});
