import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { SummaryUpdate } from "../../src/index/summaries";
import { writeToIndex } from "../../src/index/workflow-index";
import { createDeps } from "../../src/services/deps";
import { putWorkflow } from "../../src/services/workflows";
import { uniqueId } from "../helpers/api";
import { inEachSegment } from "../helpers/segments";

const T = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;

/** The params `runWorkflow()` of the Agents SDK gives an Agent's run. */
const agentParams = (name: string) =>
  JSON.stringify({
    orderId: "o-1",
    __agentName: name,
    __agentBinding: "ResearchAgent",
    __workflowName: "SHIP_ORDER",
    __agentOrigin: { kind: "agent", version: 1, binding: "ResearchAgent", name },
  });

/** A run's summaries: queued (the engine has not told its params yet, or has), running, complete. */
function run(workflowName: string, instanceId: string, params: string, paramsWhenQueued: boolean): SummaryUpdate[] {
  const base = {
    workflowName,
    instanceId,
    errorName: null,
    errorShape: null,
    createdOn: T,
    triggerSource: "unknown",
  } as const;
  return [
    {
      ...base,
      revision: 1,
      status: "queued",
      startedOn: null,
      endedOn: null,
      at: T,
      params: paramsWhenQueued ? params : null,
    },
    { ...base, revision: 2, status: "running", startedOn: T + 1_000, endedOn: null, at: T + 1_000, params },
    { ...base, revision: 3, status: "complete", startedOn: T + 1_000, endedOn: T + 5_000, at: T + 5_000, params },
  ];
}

describe("the labels of an Agent's run, when its params arrive after its first write", () => {
  it("label it as a run whose params came first, and count its events once under them", async ({ expect }) => {
    const deps = createDeps(env);
    const name = uniqueId("agent-runs");
    await putWorkflow(deps, name, { class_name: "C", script_name: "s", metric_labels: ["agent.name"] });
    const [early, late] = [
      run(name, "early", agentParams("early"), true),
      run(name, "late", agentParams("late"), false),
    ];
    for (let index = 0; index < early.length; index++) {
      await writeToIndex(
        deps.db,
        deps.index,
        [early[index], late[index]].filter((update) => update !== undefined),
      );
    }

    const labels = await inEachSegment<{ id: string; labels: string }>(
      deps,
      name,
      "SELECT id, labels FROM instances ORDER BY id",
    );
    expect(labels.map((row) => [row.id, JSON.parse(row.labels)])).toEqual([
      ["early", { agent: "ResearchAgent", "agent.name": "early" }],
      ["late", { agent: "ResearchAgent", "agent.name": "late" }],
    ]);
    const metrics = await inEachSegment<Record<string, string | number>>(
      deps,
      name,
      "SELECT value, bucket, sum(created) AS created, sum(started) AS started, sum(completed) AS completed FROM label_metrics WHERE key = 'agent.name' GROUP BY value, bucket ORDER BY bucket, value",
    );
    const counted = (value: string) => metrics.filter((row) => row.value === value).map(({ value: _, ...row }) => row);
    expect(counted("early")).toEqual([
      { bucket: "h", created: 1, started: 1, completed: 1 },
      { bucket: "m", created: 1, started: 1, completed: 1 },
    ]);
    expect(counted("late")).toEqual(counted("early"));
  });
});
