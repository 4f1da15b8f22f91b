/**
 * `npm run bench`: instance creation through the control plane (`POST …/instances`) against a
 * bare `env.HELLO_WORLD.create()` in the same Worker, same workerd, same concurrency, same run.
 *
 *   npm run bench -- [--requests 500] [--concurrency 16] [--rounds 6]
 *
 * Rounds alternate the two so drift (a warming JIT, a growing database) hits both alike.
 * Only 127.0.0.1 is ever targeted.
 */
import { median, numberArgs, startBenchServer } from "../scripts/lib/bench.ts";
import { startResults, writeResults } from "../scripts/lib/results.ts";

const params = numberArgs({ requests: 500, concurrency: 16, rounds: 6 });
const { requests, concurrency, rounds } = params;
const provenance = startResults("create");

type Target = { name: string; url: string; headers: Record<string, string>; body: (index: number) => string };

/** Sends `count` requests with `concurrency` in flight; returns creations per second. */
async function measure(target: Target, count: number): Promise<number> {
  let next = 0;
  let failures = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const response = await fetch(target.url, { method: "POST", headers: target.headers, body: target.body(index) });
      await response.arrayBuffer();
      if (!response.ok) failures++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  if (failures > 0) throw new Error(`${target.name}: ${failures} of ${count} requests failed`);
  return count / seconds;
}

const server = await startBenchServer("bench/results/dev-server.log");
try {
  const origin = new URL(server.baseUrl).origin;
  const headers = { "Content-Type": "application/json" };
  const bare: Target = {
    name: "bare env.HELLO_WORLD.create()",
    url: `${origin}/__bench/bare-create`,
    headers,
    body: (index) => JSON.stringify({ name: `bare-${index}` }),
  };
  const api: Target = {
    name: "POST /instances (control plane)",
    url: `${server.baseUrl}/accounts/${server.accountId}/workflows/hello-world/instances`,
    headers: { ...headers, Authorization: `Bearer ${server.token}` },
    body: (index) => JSON.stringify({ params: { name: `api-${index}` } }),
  };

  console.log(`Warming up, then ${rounds} rounds of ${requests} creates each at concurrency ${concurrency}…`);
  await measure(bare, 100);
  await measure(api, 100);
  const rates: Record<string, number[]> = { [bare.name]: [], [api.name]: [] };
  for (let round = 0; round < rounds; round++) {
    for (const target of round % 2 === 0 ? [bare, api] : [api, bare]) {
      const rate = await measure(target, requests);
      rates[target.name]?.push(rate);
      console.log(`  round ${round + 1}  ${target.name.padEnd(34)} ${rate.toFixed(0).padStart(6)} creates/s`);
    }
  }
  const bareRate = median(rates[bare.name] ?? []);
  const apiRate = median(rates[api.name] ?? []);
  console.log("");
  console.log(`Median over ${rounds} rounds (${requests} creates each, concurrency ${concurrency}):`);
  console.log(`  ${bare.name.padEnd(34)} ${bareRate.toFixed(0).padStart(6)} creates/s`);
  console.log(`  ${api.name.padEnd(34)} ${apiRate.toFixed(0).padStart(6)} creates/s`);
  console.log(`  ratio (control plane / bare)       ${(apiRate / bareRate).toFixed(2)}   target ≥ 0.90`);
  const each = `median of ${rounds} rounds × ${requests} creates, concurrency ${concurrency}, rounds alternating`;
  writeResults(provenance, {
    params,
    samples: { "creates/s per round": rates },
    figures: [
      {
        key: "bare",
        label: "bare `env.HELLO_WORLD.create()`",
        value: bareRate,
        unit: "creates/s",
        digits: 0,
        timed: `creates through the binding from a bench route, over HTTP; ${each}`,
      },
      {
        key: "api",
        label: "`POST …/instances` (control plane)",
        value: apiRate,
        unit: "creates/s",
        digits: 0,
        timed: `creates through the REST API, same Worker and workerd; ${each}`,
      },
      {
        key: "ratio",
        label: "control plane / bare",
        value: apiRate / bareRate,
        unit: "",
        timed: "the two medians' ratio",
      },
    ],
  });
} finally {
  await server.stop();
}
