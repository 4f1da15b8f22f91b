import { describe, it } from "vitest";
import { agentLabels, agentLabelsOfJson, withAgentLabels } from "../../src/domain/agent-labels";

/** The params `runWorkflow()` of the Agents SDK (0.32) builds, from an Agent and from a sub-agent (a facet). */
const fromAgent = {
  orderId: "o-1",
  __agentName: "alice",
  __agentBinding: "ResearchAgent",
  __workflowName: "SHIP_ORDER",
  __agentOrigin: { kind: "agent", version: 1, binding: "ResearchAgent", name: "alice" },
};
const fromSubAgent = {
  orderId: "o-2",
  __agentName: "alice-notes",
  __agentBinding: "ResearchAgent",
  __workflowName: "SHIP_ORDER",
  __agentOrigin: {
    kind: "facet",
    version: 1,
    rootBinding: "ResearchAgent",
    path: [
      { className: "ResearchAgent", name: "alice" },
      { className: "NoteTaker", name: "alice-notes" },
    ],
  },
};

describe("agentLabels", () => {
  it.for([
    ["an Agent's run", fromAgent, { agent: "ResearchAgent", "agent.name": "alice" }],
    [
      "a sub-agent's run, under its root Agent",
      fromSubAgent,
      {
        agent: "ResearchAgent",
        "agent.name": "alice",
        "agent.sub-agent": "NoteTaker",
        "agent.sub-agent.name": "alice-notes",
      },
    ],
    ["params of no Agent", { orderId: "o-3" }, null],
    ["a binding that is no string", { __agentBinding: 7, __agentName: "x" }, null],
    ["a name too long for a label", { __agentBinding: "A", __agentName: "n".repeat(257) }, { agent: "A" }],
    ["no params", null, null],
    [
      "a sub-agent's run whose path holds no steps it can read",
      { ...fromSubAgent, __agentOrigin: { kind: "facet", path: [null, 7] } },
      { agent: "ResearchAgent" },
    ],
    [
      "an origin that is no object",
      { ...fromAgent, __agentOrigin: "agent" },
      { agent: "ResearchAgent", "agent.name": "alice" },
    ],
  ] as const)("labels %s", ([, params, expected], { expect }) => {
    expect(agentLabels(params)).toEqual(expected);
    expect(agentLabelsOfJson(params === null ? null : JSON.stringify(params))).toEqual(expected);
  });

  it("reads no params that do not name an Agent, and survives text that is no JSON", ({ expect }) => {
    expect(agentLabelsOfJson('{"__agentBinding": ')).toBeNull();
  });
});

describe("withAgentLabels", () => {
  it("keeps the caller's value of a key both give, and at most 16 labels", ({ expect }) => {
    const agent = { agent: "ResearchAgent", "agent.name": "alice" };
    expect(withAgentLabels({ agent: "Mine" }, agent)).toEqual({ agent: "Mine", "agent.name": "alice" });
    const sixteen = Object.fromEntries(Array.from({ length: 16 }, (_, index) => [`k${index}`, "v"]));
    expect(withAgentLabels(sixteen, agent)).toEqual(sixteen);
    expect(withAgentLabels(undefined, null)).toBeNull();
  });
});
