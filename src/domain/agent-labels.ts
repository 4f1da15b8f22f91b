/**
 * Labels of instances started by a Cloudflare Agent. The Agents SDK's `this.runWorkflow()` puts
 * the Agent into the params (`__agentBinding`, `__agentName`, `__agentOrigin`); the index turns
 * them into labels without configuration, so one selector finds every workflow an Agent started,
 * its sub-agents' included (a sub-agent's runs carry its root Agent's binding and name):
 *
 *   agent=ResearchAgent,agent.name=alice
 *
 * (`agent` is the Durable Object binding the SDK found for the Agent's class: by default the one
 * named like the class.) A sub-agent's runs also say which sub-agent started them (`agent.sub-agent`, its class, and
 * `agent.sub-agent.name`).
 */
import { type Labels, MAX_LABEL_VALUE_LENGTH, MAX_LABELS } from "./labels";

export const AGENT_LABEL = {
  /** The root Agent's Durable Object binding, which the SDK names after its class. */
  binding: "agent",
  /** The root Agent's name. */
  name: "agent.name",
  subAgent: "agent.sub-agent",
  subAgentName: "agent.sub-agent.name",
} as const;

type Step = { className?: unknown; name?: unknown };
type AgentParams = {
  __agentBinding?: unknown;
  __agentName?: unknown;
  __agentOrigin?: { kind?: unknown; name?: unknown; path?: Step[] };
};

const isStep = (value: unknown): value is Step => typeof value === "object" && value !== null;

const label = (value: unknown): string | undefined =>
  typeof value === "string" && value.length > 0 && value.length <= MAX_LABEL_VALUE_LENGTH ? value : undefined;

/** The Agent labels of params given as JSON text, or null when no Agent started the instance. */
export function agentLabelsOfJson(paramsJson: string | null): Labels | null {
  // Most instances were not started by an Agent: spare them the parse.
  if (paramsJson === null || !paramsJson.includes('"__agentBinding"')) return null;
  try {
    return agentLabels(JSON.parse(paramsJson));
  } catch {
    return null;
  }
}

/** The Agent labels of these params, or null when no Agent started the instance. */
export function agentLabels(value: unknown): Labels | null {
  if (typeof value !== "object" || value === null) return null;
  const params = value as AgentParams;
  const binding = label(params.__agentBinding);
  if (binding === undefined) return null;
  const origin = typeof params.__agentOrigin === "object" ? params.__agentOrigin : null;
  const facet = origin?.kind === "facet";
  const path = Array.isArray(origin?.path) ? origin.path.filter(isStep) : [];
  const subAgent = facet ? path.at(-1) : undefined;
  const rootName = label(facet ? path[0]?.name : params.__agentName);
  const labels: Labels = { [AGENT_LABEL.binding]: binding };
  if (rootName !== undefined) labels[AGENT_LABEL.name] = rootName;
  const subAgentClass = label(subAgent?.className);
  const subAgentName = label(params.__agentName);
  if (subAgentClass !== undefined) labels[AGENT_LABEL.subAgent] = subAgentClass;
  if (subAgent !== undefined && subAgentName !== undefined) labels[AGENT_LABEL.subAgentName] = subAgentName;
  return labels;
}

/** The caller's labels plus the Agent's, the caller's winning a key both give, at most MAX_LABELS in all. */
export function withAgentLabels(labels: Labels | null | undefined, agent: Labels | null): Labels | null {
  const merged: Labels = { ...labels };
  for (const [key, value] of Object.entries(agent ?? {})) {
    if (key in merged || Object.keys(merged).length >= MAX_LABELS) continue;
    merged[key] = value;
  }
  return Object.keys(merged).length > 0 ? merged : null;
}
