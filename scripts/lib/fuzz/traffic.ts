/**
 * The random traffic: operations picked uniformly from the document, each call valid (from the
 * operation's table entry) or broken in one way: a junk path or query value, an odd or broken
 * body, no or a wrong token. It records what it created, so the run can check afterwards that
 * none of it was lost.
 */
import type { Call, Client } from "./client.ts";
import { BROKEN_BODIES, DOT_SEGMENTS, JUNK, ODD_BODIES } from "./junk.ts";
import { type DocumentOperation, type Fixtures, OPERATIONS, type Pick } from "./operations.ts";

export type Traffic = { requests: number; concurrency: number; random: () => number };

export async function sendTraffic(
  client: Client,
  operations: DocumentOperation[],
  fixtures: Fixtures,
  { requests, concurrency, random }: Traffic,
): Promise<{ createdInstances: Set<string> }> {
  const pick: Pick = (items) => items[Math.floor(random() * items.length)] as (typeof items)[number];
  const chance = (p: number) => random() < p;
  const createdInstances = new Set<string>();

  function broken(operation: DocumentOperation, call: Call): Call {
    const mutates = OPERATIONS[operation.key]?.mutates ?? true;
    const pathParameters = operation.parameters.filter((p) => p.in === "path" && p.name !== "account_id");
    const queryParameters = operation.parameters.filter((p) => p.in === "query");
    const ways = [
      ...(pathParameters.length > 0 ? ["path"] : []),
      ...(queryParameters.length > 0 ? ["query"] : []),
      ...(operation.hasBody || (operation.method !== "GET" && chance(0.1)) ? ["body"] : []),
      "token",
    ];
    switch (pick(ways)) {
      case "path": {
        const parameter = pick(pathParameters);
        // On a mutation, a dot segment would address the route above, validly (DELETE …/instances/.. is DELETE the workflow).
        const junk = pick(JUNK.filter((value) => !mutates || !DOT_SEGMENTS.has(value)));
        return { ...call, params: { ...call.params, [parameter.name]: junk }, unencoded: chance(0.5) };
      }
      case "query": {
        const parameter = pick(queryParameters);
        const enumValues = parameter.schema?.enum;
        return {
          ...call,
          query: { ...call.query, [parameter.name]: enumValues && chance(0.3) ? pick(enumValues) : pick(JUNK) },
        };
      }
      case "body": {
        const { body: _valid, ...rest } = call;
        return { ...rest, raw: chance(0.3) ? pick(BROKEN_BODIES) : pick(ODD_BODIES) };
      }
      default:
        return { ...call, token: pick([null, "nope", fixtures.readToken, fixtures.eventsToken]) };
    }
  }

  function remember(operation: DocumentOperation, status: number, json: unknown): void {
    if (status < 200 || status >= 300) return;
    const result = (json as { result?: unknown } | undefined)?.result;
    if (result === undefined || result === null) return;
    if (operation.key.startsWith("POST") && operation.path.endsWith("/instances")) {
      createdInstances.add((result as { id: string }).id);
    } else if (operation.path.endsWith("/instances/batch")) {
      const items = Array.isArray(result) ? result : ((result as { created?: unknown[] }).created ?? []);
      for (const item of items as { id: string }[]) createdInstances.add(item.id);
    } else if (operation.key.startsWith("POST") && operation.path.endsWith("/tokens")) {
      fixtures.tokenIds.push((result as { id: string }).id);
    } else if (operation.path.endsWith("/instances/bulk") && status === 202) {
      fixtures.jobIds.push((result as { id: string }).id);
    }
  }

  let sent = 0;
  async function worker(): Promise<void> {
    while (sent < requests) {
      sent++;
      const operation = pick(operations);
      const spec = OPERATIONS[operation.key];
      if (!spec) throw new Error(`no table entry for ${operation.key}`);
      const valid = { ...spec.valid(fixtures, pick), ...(chance(0.2) ? { unencoded: false } : {}) };
      const call = chance(0.5) ? valid : broken(operation, valid);
      const answer = await client.send(operation.key, call);
      remember(operation, answer.status, answer.json);
      if (sent % 5_000 === 0) process.stdout.write(`\r  ${sent.toLocaleString("en")} random requests`);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  process.stdout.write("\n");
  return { createdInstances };
}
