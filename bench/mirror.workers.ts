/**
 * The pull path measured in the Workers runtime itself, without `wrangler dev` around it (run by
 * `npm run bench:mirror` through `vitest --project bench`): prints figures, asserts only that
 * every event was mirrored.
 */
import { env, exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { api } from "../test/helpers/api";
import { journal } from "../test/helpers/journal";

const WORKFLOW = "ship-batch";
const STEPS = Number(env.BENCH_STEPS ?? 2_500);

async function completed(id: string, orders: number): Promise<void> {
  const orderIds = Array.from({ length: orders }, (_, index) => `${id}-${index}`);
  await api("POST", `/workflows/${WORKFLOW}/instances/batch`, { body: [{ instance_id: id, params: { orderIds } }] });
  for (;;) {
    if ((await (await env.SHIP_BATCH.get(id)).status()).status === "complete") return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

it("mirrors a long history from its first event", { timeout: 600_000 }, async () => {
  const id = `bench-${crypto.randomUUID()}`;
  await completed(id, STEPS);
  const target = { workflowName: WORKFLOW, instanceId: id };

  let started = Date.now();
  const subscription = await (await env.SHIP_BATCH.get(id)).subscribe();
  let raw = 0;
  for (let next = await subscription.next(); !next.done; next = await subscription.next()) raw++;
  const rawMs = Date.now() - started;

  await journal(WORKFLOW, id).clear();
  started = Date.now();
  await exports.MirrorSync.sync(target);
  const syncMs = Date.now() - started;
  const { cursor } = (await journal(WORKFLOW, id).begin(target)).position;
  expect(cursor).toBe(raw);

  const rate = (events: number, ms: number) => Math.round((events / ms) * 1000).toLocaleString("en");
  console.log(
    `[workers runtime] engine subscription alone: ${raw.toLocaleString("en")} events in ${rawMs} ms, ${rate(raw, rawMs)} events/s`,
  );
  console.log(
    `[workers runtime] pull path (sync into the journal): ${cursor.toLocaleString("en")} events in ${syncMs} ms, ${rate(cursor, syncMs)} events/s`,
  );
});
