/**
 * An Agent that ships orders by running shipping-worker's Workflow: `POST /agents/:name/ship/:orderId`
 * answers the instance id. `runWorkflow` adds the Agent to the params; the control plane, which
 * binds the same Workflow, labels the run `agent=ResearchAgent, agent.name=<name>`.
 */
import { Agent, getAgentByName } from "agents";

declare global {
  namespace Cloudflare {
    interface Env {
      ResearchAgent: DurableObjectNamespace<ResearchAgent>;
      SHIP_ORDER: Workflow;
    }
  }
}

export class ResearchAgent extends Agent {
  async ship(orderId: string): Promise<string> {
    return this.runWorkflow("SHIP_ORDER", { orderId, pickupWindow: "1 hour" });
  }
}

const SHIP = /^\/agents\/([\w-]+)\/ship\/([\w-]+)$/;

export default {
  async fetch(request, env) {
    const [, agentName, orderId] = SHIP.exec(new URL(request.url).pathname) ?? [];
    if (request.method !== "POST" || agentName === undefined || orderId === undefined) {
      return new Response("POST /agents/:name/ship/:orderId", { status: 404 });
    }
    const agent = await getAgentByName(env.ResearchAgent, agentName);
    return Response.json({ id: await agent.ship(orderId) }, { status: 201 });
  },
} satisfies ExportedHandler<Cloudflare.Env>;
