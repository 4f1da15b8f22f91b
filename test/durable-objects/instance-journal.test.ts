import { describe, it } from "vitest";
import type { StepConfig } from "../../src/domain/journal";
import type { InstanceEvent } from "../../src/tracking/events";
import { uniqueId } from "../helpers/api";
import { journal, stepsOf } from "../helpers/journal";

const CONFIG: StepConfig = { retries: { limit: 0, delay: 0 }, timeout: "1 minute" };

/** One step reported from start to end, as TrackedWorkflow reports it. */
function step(name: string, at: number): InstanceEvent[] {
  return [
    { kind: "stepStart", at, name, config: CONFIG },
    { kind: "attemptStart", at, name, attempt: 1 },
    { kind: "attemptEnd", at: at + 1, name, attempt: 1, error: null },
    { kind: "stepEnd", at: at + 1, name, output: "1", error: null, redacted: false },
  ];
}

describe("InstanceJournal.observe a restart", () => {
  it("keeps the steps the restarted run reported before the restart was observed", async ({ expect }) => {
    const instanceId = uniqueId("restart-race");
    const stub = journal("hello-world", instanceId);
    const report = (at: number, events: InstanceEvent[]) =>
      stub.record({ workflowName: "hello-world", instanceId, queuedAt: at, params: null, cron: false, events });
    const start = Date.now() - 60_000;
    await report(start, [
      { kind: "run", at: start },
      ...step("first-1", start + 10),
      ...step("second-1", start + 20),
      { kind: "complete", at: start + 30, output: null },
    ]);

    // The API reads where the log ends, restarts the engine, and the new run reports its first
    // step before the API gets to tell the journal about the restart.
    const upTo = await stub.lastStepSeq();
    await report(start, [{ kind: "run", at: start + 40 }, ...step("first-1", start + 50)]);
    await stub.observe({
      workflowName: "hello-world",
      instanceId,
      status: "running",
      output: null,
      error: null,
      createdOn: start,
      action: { kind: "restart", upTo },
    });

    const steps = await stepsOf("hello-world", instanceId);
    expect(steps.map((entry) => (entry.type === "termination" ? entry.type : entry.name))).toEqual(["first-1"]);
    expect(steps[0]?.type === "step" && steps[0].start).toBe(new Date(start + 50).toISOString());
    expect((await stub.snapshot()).status).toBe("running");
  });
});
