/**
 * Requests that must be refused, aimed at the guarded fixtures through every operation: no
 * token, a wrong token, a token without the permission, another account, broken JSON, a body
 * over the limit, junk path and query values. Each must answer 4xx in the envelope, and the
 * snapshot taken around them must not change.
 */
import type { Call, Client } from "./client.ts";
import { BROKEN_BODIES, DOT_SEGMENTS, JUNK } from "./junk.ts";
import { type DocumentOperation, type Fixtures, GUARDED_WORKFLOW, OPERATIONS } from "./operations.ts";

const OTHER_ACCOUNT = "0123456789abcdef0123456789abcdef";

function guardedParams(fixtures: Fixtures, index: number): Record<string, string> {
  return {
    workflow_name: GUARDED_WORKFLOW,
    instance_id: fixtures.guarded[index % fixtures.guarded.length] ?? "guard-0",
    job_id: fixtures.guardedJobId,
    token_id: fixtures.guardedTokenId,
    version_id: fixtures.versionId,
    event_type: "approval",
  };
}

export function refusalsOf(operation: DocumentOperation, fixtures: Fixtures): { why: string; call: Call }[] {
  const spec = OPERATIONS[operation.key];
  const params = guardedParams(fixtures, operation.key.length);
  const body = operation.hasBody ? { body: { status: "terminate" } } : {};
  const refusals: { why: string; call: Call }[] = [
    { why: "no token", call: { params, token: null, ...body } },
    { why: "a wrong token", call: { params, token: "nope", ...body } },
    { why: "a malformed header", call: { params, token: null, headers: { Authorization: "Basic eA==" }, ...body } },
  ];
  if (operation.path.includes("{account_id}")) {
    refusals.push({ why: "another account", call: { params: { ...params, account_id: OTHER_ACCOUNT }, ...body } });
  }
  if (spec?.mutates) {
    refusals.push({ why: "a read-only token", call: { params, token: fixtures.readToken, ...body } });
    refusals.push({ why: "an events-only token", call: { params, token: fixtures.eventsToken, ...body } });
  }
  if (operation.hasBody) {
    for (const raw of BROKEN_BODIES) refusals.push({ why: "broken JSON", call: { params, raw } });
    refusals.push({
      why: "a body over 1 MiB",
      call: { params, raw: JSON.stringify({ params: "x".repeat(1_100_000) }) },
    });
  }
  for (const parameter of operation.parameters.filter((p) => p.in === "path" && p.name !== "account_id")) {
    for (const junk of JUNK.filter((value) => !DOT_SEGMENTS.has(value))) {
      refusals.push({
        why: `junk ${parameter.name}`,
        call: { params: { ...params, [parameter.name]: junk }, unencoded: true },
      });
    }
  }
  for (const parameter of operation.parameters.filter((p) => p.in === "query" && p.schema?.enum)) {
    refusals.push({ why: `junk ${parameter.name}`, call: { params, query: { [parameter.name]: "fly" }, ...body } });
  }
  if (operation.key.endsWith("/subscribe")) refusals.push({ why: "no Upgrade header", call: { params } });
  return refusals;
}

/** Sends every refusal of every operation, `concurrency` at a time; returns how many were sent. */
export async function sendRefusals(
  client: Client,
  operations: DocumentOperation[],
  fixtures: Fixtures,
  concurrency: number,
): Promise<number> {
  const queue = operations.flatMap((operation) =>
    refusalsOf(operation, fixtures).map((refusal) => ({ operation, ...refusal })),
  );
  const total = queue.length;
  async function worker(): Promise<void> {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const answer = await client.send(next.operation.key, next.call);
      if (answer.status < 400 || answer.status >= 500) {
        client.fail(
          `refusal (${next.why}) of ${next.operation.key} answered ${answer.status}: ${answer.text.slice(0, 200)}`,
        );
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return total;
}
