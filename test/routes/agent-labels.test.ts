import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { api, createInstance, uniqueId } from "../helpers/api";
import { eventually } from "../helpers/eventually";

type Summary = { id: string; labels: Record<string, string> | null };

/** Starts ship-order from the research-agent example: `this.runWorkflow()` of the real Agents SDK. */
async function shipFromAgent(agentName: string, orderId: string): Promise<string> {
  const response = await env.RESEARCH_AGENT.fetch(`https://agent/agents/${agentName}/ship/${orderId}`, {
    method: "POST",
  });
  if (response.status !== 201) throw new Error(`the agent answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

async function listed(selector: string): Promise<Summary[]> {
  const query = `labels=${encodeURIComponent(selector)}&per_page=100`;
  return (await api<Summary[]>("GET", `/workflows/ship-order/instances?${query}`)).body.result;
}

describe("GET /workflows/:workflow_name/instances?labels= of instances an Agent started", () => {
  it("labels each run with its Agent, so one selector finds every run of that Agent", async ({ expect }) => {
    const alice = uniqueId("alice");
    const bob = uniqueId("bob");
    const alicesRuns = [
      await shipFromAgent(alice, uniqueId("order")),
      await shipFromAgent(alice, uniqueId("order")),
    ].sort();
    const bobsRun = await shipFromAgent(bob, uniqueId("order"));

    // Started straight through the binding: the index learns of each when it first sees it (here
    // a read of it; deployed, Event Subscriptions' message), with the labels its params give.
    for (const id of [...alicesRuns, bobsRun]) {
      expect((await api("GET", `/workflows/ship-order/instances/${id}`)).status).toBe(200);
    }
    await eventually(async () => {
      const found = await listed(`agent=ResearchAgent,agent.name=${alice}`);
      expect(found.map((summary) => summary.id).sort()).toEqual(alicesRuns);
    });
    expect((await listed(`agent.name=${bob}`)).map((summary) => summary.id)).toEqual([bobsRun]);
    const [run] = await listed(`agent.name=${bob}`);
    expect(run?.labels).toEqual({ agent: "ResearchAgent", "agent.name": bob });
  });

  it("labels a create through the API with Agent params too, the caller's labels first", async ({ expect }) => {
    const id = uniqueId("api-agent");
    const agentName = uniqueId("carol");
    const created = await createInstance("ship-order", {
      instance_id: id,
      params: { orderId: id, pickupWindow: "1 hour", __agentBinding: "ResearchAgent", __agentName: agentName },
      labels: { agent: "SupportAgent", team: "fulfilment" },
    });
    expect(created.id).toBe(id);
    const [run] = await listed(`agent.name=${agentName}`);
    expect(run).toMatchObject({
      id,
      labels: { agent: "SupportAgent", "agent.name": agentName, team: "fulfilment" },
    });
  });
});
