/**
 * `npm run fuzz`: sends requests over every route of the OpenAPI document to a fresh
 * `npm run dev` on 127.0.0.1, mixing malformed input (bad ids, junk query values, broken or
 * mistyped JSON, no or wrong tokens) with valid traffic, and prints the status histogram and
 * every 5xx it saw. The target is no 5xx at all.
 *
 *   npm run fuzz -- [--requests 100000] [--concurrency 16] [--seed 1]
 */

import { numberArgs } from "./lib/bench.ts";
import { startDevServer } from "./lib/dev-server.ts";
import { seededRandom } from "./lib/random.ts";
import { startResults, writeResults } from "./lib/results.ts";

const provenance = startResults("fuzz");

const { requests, concurrency, seed } = numberArgs({ requests: 100_000, concurrency: 16, seed: 1 });

const random = seededRandom(seed);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const chance = (p: number) => random() < p;

type Operation = {
  method: string;
  path: string;
  parameters: { name: string; in: string; schema?: { type?: string; enum?: string[] } }[];
  hasBody: boolean;
};

const JUNK = [
  "",
  " ",
  "%",
  "%00",
  "..",
  "../..",
  "x".repeat(300),
  "é😀",
  "-1",
  "0",
  "1e309",
  "NaN",
  "null",
  "true",
  "[]",
  "{}",
  "<script>",
  "a b",
  "a/b",
  "2026-02-30",
  `cf_${"a".repeat(64)}`,
];

const BODIES = [
  "{",
  "[",
  "null",
  "42",
  '"text"',
  "[]",
  "{}",
  '{"status":"fly"}',
  '{"instance_id":5}',
  `{"params":${"[".repeat(200)}${"]".repeat(200)}}`,
  '{"__proto__":{"admin":true}}',
  '{"action":"terminate","filter":{"labels":"x"}}',
  '{"count":1000}',
  '{"instances":[{"id":"x"}]}',
  '{"default_retention":{"success_retention":"forever"}}',
  "\u0000",
];

const server = await startDevServer({ logPath: "bench/results/fuzz.log" });
const account = `${server.baseUrl}/accounts/${server.accountId}`;
/** The document's paths start at /client/v4. */
const origin = new URL(server.baseUrl).origin;
const admin = { Authorization: `Bearer ${server.token}`, "Content-Type": "application/json" };
const histogram = new Map<number, number>();
const failures: string[] = [];
try {
  // Valid things to point at: instances of the demo workflows, a fuzz workflow, a version.
  const created: string[] = [];
  for (let index = 0; index < 20; index++) {
    const id = `fuzz-${index}`;
    await fetch(`${account}/workflows/order-approval/instances`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ instance_id: id, params: { orderId: id, amount: 1 } }),
    });
    created.push(id);
  }
  const document = (await (await fetch(`${server.baseUrl}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { parameters?: Operation["parameters"]; requestBody?: unknown }>>;
  };
  const operations: Operation[] = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      parameters: operation.parameters ?? [],
      hasBody: operation.requestBody !== undefined,
    })),
  );
  const versions = (await (await fetch(`${account}/workflows/order-approval/versions`, { headers: admin })).json()) as {
    result: { id: string }[];
  };
  const valid: Record<string, () => string> = {
    account_id: () => server.accountId,
    workflow_name: () =>
      pick(["order-approval", "hello-world", "ship-order", "nowhere", `fuzz-wf-${Math.floor(random() * 5)}`]),
    instance_id: () => pick(created),
    event_type: () => pick(["approval", "other"]),
    version_id: () => versions.result[0]?.id ?? crypto.randomUUID(),
    job_id: () => crypto.randomUUID(),
    token_id: () => crypto.randomUUID(),
  };

  function requestFor(operation: Operation): { url: string; init: RequestInit } {
    let path = operation.path;
    for (const parameter of operation.parameters.filter((p) => p.in === "path")) {
      const value = chance(0.7) ? (valid[parameter.name]?.() ?? "x") : pick(JUNK);
      path = path.replace(`{${parameter.name}}`, chance(0.5) ? encodeURIComponent(value) : value);
    }
    const query = new URLSearchParams();
    for (const parameter of operation.parameters.filter((p) => p.in === "query")) {
      if (chance(0.6)) continue;
      const enumValues = parameter.schema?.enum;
      query.set(parameter.name, enumValues && chance(0.6) ? pick(enumValues) : pick(JUNK));
    }
    const url = `${origin}${path}${query.size > 0 ? `?${query}` : ""}`;
    const headers: Record<string, string> = chance(0.9)
      ? { ...admin }
      : pick<Record<string, string>>([{}, { Authorization: "Bearer nope" }, { Authorization: "Basic x" }]);
    if (chance(0.05)) headers["Content-Type"] = "text/plain";
    const canHaveBody = operation.method !== "GET" && operation.method !== "HEAD";
    const body =
      canHaveBody && (operation.hasBody || chance(0.1))
        ? chance(0.5)
          ? pick(BODIES)
          : validBody(operation)
        : undefined;
    return { url, init: { method: operation.method, headers, ...(body === undefined ? {} : { body }) } };
  }

  function validBody(operation: Operation): string {
    if (operation.path.endsWith("/status"))
      return JSON.stringify({ status: pick(["pause", "resume", "terminate", "restart"]) });
    if (operation.path.endsWith("/instances/batch")) return JSON.stringify([{}, { params: { name: "fuzz" } }]);
    if (operation.path.endsWith("/instances") && operation.method === "POST")
      return JSON.stringify({ params: { name: "fuzz" } });
    if (operation.path.endsWith("/bulk")) return JSON.stringify({ action: "pause", instance_ids: [pick(created)] });
    if (operation.path.endsWith("/settings")) return JSON.stringify({ audit_retention: "30 days" });
    if (operation.path.endsWith("/tokens")) return JSON.stringify({ name: "fuzz", permissions: ["read"] });
    if (operation.method === "PUT") return JSON.stringify({ class_name: "Fuzz", script_name: "fuzz" });
    return JSON.stringify({ approved: chance(0.5) });
  }

  let sent = 0;
  let answered = 0;
  const started = performance.now();
  async function worker(): Promise<void> {
    while (sent < requests) {
      sent++;
      const { url, init } = requestFor(pick(operations));
      let status: number;
      try {
        const response = await fetch(url, init);
        status = response.status;
        const text = await response.text();
        if (status >= 500 && failures.length < 30)
          failures.push(`${init.method} ${url} -> ${status} ${text.slice(0, 300)}`);
      } catch (error) {
        status = 0;
        if (failures.length < 30) failures.push(`${init.method} ${url} -> ${String(error)}`);
      }
      histogram.set(status, (histogram.get(status) ?? 0) + 1);
      answered++;
      if (answered % 10_000 === 0) process.stdout.write(`\r  ${answered.toLocaleString("en")} requests`);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `\n${requests.toLocaleString("en")} requests over ${operations.length} operations in ${seconds.toFixed(0)} s (seed ${seed}):`,
  );
  for (const [status, count] of [...histogram].sort(([a], [b]) => a - b)) {
    console.log(`  ${status === 0 ? "no answer" : status}: ${count.toLocaleString("en")}`);
  }
  const serverErrors = [...histogram]
    .filter(([status]) => status >= 500 || status === 0)
    .reduce((sum, [, n]) => sum + n, 0);
  console.log(`5xx or no answer: ${serverErrors}`);
  for (const failure of failures) console.log(`  ${failure}`);
  process.exitCode = serverErrors === 0 ? 0 : 1;
  const tally = { unit: "", digits: 0, timed: `requests from ${concurrency} clients, seed ${seed}` };
  writeResults(provenance, {
    params: { requests, concurrency, seed },
    samples: { "answers by status": Object.fromEntries(histogram), failures },
    figures: [
      { ...tally, key: "operations", label: "operations of the OpenAPI document", value: operations.length },
      { ...tally, key: "requests", label: "requests", value: requests },
      { ...tally, key: "server-errors", label: "5xx or no answer", value: serverErrors },
      {
        key: "seconds",
        label: "run time",
        value: seconds,
        unit: "s",
        digits: 0,
        timed: "from the first request to the last answer",
      },
    ],
    checks: [{ name: "no 5xx and no request without an answer", ok: serverErrors === 0 }],
  });
} finally {
  await server.stop();
}
