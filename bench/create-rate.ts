/**
 * `npm run bench`: instance creation through the control plane (`POST …/instances`) against a
 * bare `env.HELLO_WORLD.create()` in the same Worker, same workerd, same concurrency, same run;
 * and, between the two, the create service alone (definition read, index reservation, engine
 * create) from a bench route, which splits the gap into the service's part and the HTTP app's
 * (authentication, rate limit, validation, envelope, audit record).
 *
 *   npm run bench -- [--requests 300] [--concurrency 16] [--rounds 6]
 *
 * Rounds alternate the order so drift (a warming JIT, a growing database) hits all alike.
 * Locally, the engine, D1, the Durable Objects and the Worker share one workerd process: a rate
 * here is the whole machine's work per create, not the latency a deployed create sees.
 * Only 127.0.0.1 is ever targeted.
 */
import { median, numberArgs, SWEEP_AN_HOUR_APART, startBenchServer } from "../scripts/lib/bench.ts";
import { startResults, writeResults } from "../scripts/lib/results.ts";

const params = numberArgs({ requests: 300, concurrency: 16, rounds: 6 });
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

const server = await startBenchServer("bench/results/dev-server.log", SWEEP_AN_HOUR_APART);
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

  const service: Target = {
    name: "create service, no HTTP app",
    url: `${origin}/__bench/service-create`,
    headers,
    body: (index) => JSON.stringify({ name: `service-${index}` }),
  };
  const targets = [bare, service, api];

  console.log(`Warming up, then ${rounds} rounds of ${requests} creates each at concurrency ${concurrency}…`);
  // The API's first create registers the deployed workflows the service route then finds.
  await measure(api, 100);
  await measure(bare, 100);
  await measure(service, 100);
  const rates: Record<string, number[]> = Object.fromEntries(targets.map((target) => [target.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const target of round % 2 === 0 ? targets : targets.toReversed()) {
      const rate = await measure(target, requests);
      rates[target.name]?.push(rate);
      console.log(`  round ${round + 1}  ${target.name.padEnd(34)} ${rate.toFixed(0).padStart(6)} creates/s`);
    }
  }
  const bareRate = median(rates[bare.name] ?? []);
  const serviceRate = median(rates[service.name] ?? []);
  const apiRate = median(rates[api.name] ?? []);
  // At a fixed concurrency, 1 / rate is the machine's time per create: the gap splits by hop.
  const msPerCreate = (rate: number) => 1000 / rate;
  const serviceMs = msPerCreate(serviceRate) - msPerCreate(bareRate);
  const appMs = msPerCreate(apiRate) - msPerCreate(serviceRate);
  console.log("");
  console.log(`Median over ${rounds} rounds (${requests} creates each, concurrency ${concurrency}):`);
  for (const [name, rate] of [
    [bare.name, bareRate],
    [service.name, serviceRate],
    [api.name, apiRate],
  ] as const) {
    console.log(
      `  ${name.padEnd(34)} ${rate.toFixed(0).padStart(6)} creates/s  ${msPerCreate(rate).toFixed(1)} ms each`,
    );
  }
  console.log(`  ratio (control plane / bare)       ${(apiRate / bareRate).toFixed(2)}   target ≥ 0.90`);
  console.log(`  the gap: service ${serviceMs.toFixed(1)} ms + HTTP app ${appMs.toFixed(1)} ms per create`);
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
        key: "service",
        label: "the create service alone, no HTTP app",
        value: serviceRate,
        unit: "creates/s",
        digits: 0,
        timed: `createInstance() from a bench route, over HTTP; ${each}`,
      },
      {
        key: "ratio",
        label: "control plane / bare",
        value: apiRate / bareRate,
        unit: "",
        timed: "the two medians' ratio",
      },
      {
        key: "gap-service",
        label: "the gap: the service's part (definition read, index reservation)",
        value: serviceMs,
        unit: "ms per create",
        digits: 1,
        timed: "1000 / service rate − 1000 / bare rate: the machine's time per create at this concurrency",
      },
      {
        key: "gap-app",
        label: "the gap: the HTTP app's part (auth, rate limit, validation, audit record)",
        value: appMs,
        unit: "ms per create",
        digits: 1,
        timed: "1000 / API rate − 1000 / service rate",
      },
    ],
  });
} finally {
  await server.stop();
}
