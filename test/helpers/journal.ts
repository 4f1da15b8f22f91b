import { env } from "cloudflare:workers";
import type { LogStep } from "../../src/domain/journal";

export function journal(workflowName: string, instanceId: string) {
  return env.INSTANCE_JOURNAL.getByName(`${workflowName}/${instanceId}`);
}

/** The whole step log of an instance, oldest first. */
export async function stepsOf(workflowName: string, instanceId: string): Promise<LogStep[]> {
  return JSON.parse(
    (await journal(workflowName, instanceId).steps({ order: "asc", offset: 0, limit: 10_000 })).json,
  ) as LogStep[];
}
