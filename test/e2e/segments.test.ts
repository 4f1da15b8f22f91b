import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../../scripts/lib/dev-server.ts";
import { unique } from "./ids.ts";
import { until } from "./poll.ts";

/**
 * A workflow's index over several segments, as a new user would meet it: `npm run dev` with
 * segments of 5 instances, 23 instances created in five batches (so at least five segments),
 * then lists, counts, a selector, a bulk job and the metrics, each checked against what was
 * created.
 */

const SEGMENT_SIZE = 5;
const WORKFLOW = "order-approval";

let server: DevServer;

beforeAll(async () => {
  server = await startDevServer({
    logPath: "test/e2e/.artifacts/segments.log",
    flags: ["--var", `INDEX_SEGMENT_SIZE:${SEGMENT_SIZE}`],
  });
}, 180_000);

afterAll(async () => {
  await server?.stop();
});

type Envelope<T> = { success: boolean; result: T; result_info?: { cursor?: string; total_count?: number } };
type Listed = { id: string; status: string; created_on: string; labels: Record<string, string> };

async function call<T>(method: string, path: string, body?: unknown): Promise<Envelope<T>> {
  const response = await fetch(`${server.baseUrl}/accounts/${server.accountId}/workflows/${WORKFLOW}${path}`, {
    method,
    headers: { Authorization: `Bearer ${server.token}`, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as Envelope<T>;
}

/** Every instance the list walks, a page of `perPage` at a time, following the cursor. */
async function walk(query: string, perPage: number): Promise<Listed[]> {
  const seen: Listed[] = [];
  let cursor: string | undefined;
  do {
    const page = await call<Listed[]>(
      "GET",
      `/instances?per_page=${perPage}&${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    seen.push(...page.result);
    cursor = page.result_info?.cursor;
  } while (cursor);
  return seen;
}

describe("an index over several segments", () => {
  const prefix = unique("seg");
  const created: { id: string; tier: string }[] = [];

  beforeAll(async () => {
    // Five batches a few milliseconds apart: each lands in the newest segment, which fills up.
    for (let batch = 0; batch < 5; batch++) {
      const items = Array.from({ length: batch === 4 ? 3 : 5 }, (_, index) => {
        const n = batch * 5 + index;
        const item = { id: `${prefix}-${String(n).padStart(2, "0")}`, tier: n % 3 === 0 ? "gold" : "free" };
        created.push(item);
        return {
          instance_id: item.id,
          params: { orderId: item.id, amount: n + 1 },
          labels: { tier: item.tier, run: prefix },
        };
      });
      await call("POST", "/instances/batch", { instances: items });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Each order waits for its approval: all of them are mirrored as waiting.
    const listed = await until(
      () => walk(`labels=${encodeURIComponent(`run=${prefix}`)}`, 50),
      (all) => all.length === created.length && all.every((item) => item.status === "waiting"),
      60_000,
    ).catch(async (error: unknown) => {
      const all = await walk(`labels=${encodeURIComponent(`run=${prefix}`)}`, 50);
      const statuses = all.map((item) => `${item.id}:${item.status}`).join(" ");
      throw new Error(`${String(error)}; listed ${all.length} of ${created.length}: ${statuses}`);
    });
    expect(listed).toHaveLength(created.length);
  }, 120_000);

  it("lists every instance once, newest first and oldest first, a page spanning segments at a time", async () => {
    const selector = `labels=${encodeURIComponent(`run=${prefix}`)}`;
    const newestFirst = await walk(selector, 4);
    const oldestFirst = await walk(`${selector}&direction=asc`, 4);
    const byCreation = (a: Listed, b: Listed) => a.created_on.localeCompare(b.created_on) || a.id.localeCompare(b.id);

    expect(newestFirst.map((item) => item.id)).toEqual(
      [...newestFirst]
        .sort(byCreation)
        .reverse()
        .map((item) => item.id),
    );
    expect(oldestFirst.map((item) => item.id)).toEqual([...newestFirst].sort(byCreation).map((item) => item.id));
    expect(new Set(newestFirst.map((item) => item.id))).toEqual(new Set(created.map((item) => item.id)));
  });

  it("counts exactly, per status and per label value", async () => {
    const gold = created.filter((item) => item.tier === "gold").length;
    const counts = await call<{
      groups: { key: { labels?: Record<string, string | null> }; instances: Record<string, number> }[];
    }>("GET", `/instances/counts?group_by=label:tier&labels=${encodeURIComponent(`run=${prefix}`)}`);
    const waitingOf = (tier: string) =>
      counts.result.groups.find((group) => group.key.labels?.tier === tier)?.instances.waiting;
    expect(waitingOf("gold")).toBe(gold);
    expect(waitingOf("free")).toBe(created.length - gold);

    const page = await call<Listed[]>(
      "GET",
      `/instances?per_page=2&labels=${encodeURIComponent(`run=${prefix},tier=gold`)}`,
    );
    expect(page.result_info?.total_count).toBe(gold);
  });

  it("selects by label across segments, and a bulk job acts on exactly that selection", async () => {
    const gold = created.filter((item) => item.tier === "gold").map((item) => item.id);
    const selector = `run=${prefix},tier=gold`;
    const selected = await walk(`labels=${encodeURIComponent(selector)}`, 3);
    expect(selected.map((item) => item.id).sort()).toEqual([...gold].sort());

    const job = await call<{ id: string; total: number }>("POST", "/instances/bulk", {
      action: "terminate",
      filter: { labels: selector },
    });
    expect(job.result.total).toBe(gold.length);
    await until(
      () => walk(`labels=${encodeURIComponent(`run=${prefix}`)}&status=terminated`, 50),
      (listed) => listed.length === gold.length,
      60_000,
      (listed) => `${listed?.length ?? 0} of ${gold.length} gold instances terminated`,
    );
    const terminated = await walk(`labels=${encodeURIComponent(`run=${prefix}`)}&status=terminated`, 50);
    expect(terminated.map((item) => item.id).sort()).toEqual([...gold].sort());
    const stillWaiting = await walk(`labels=${encodeURIComponent(`run=${prefix}`)}&status=waiting`, 50);
    expect(stillWaiting).toHaveLength(created.length - gold.length);
  });

  it("sums the metrics of every segment: every instance of the workflow was counted created once", async () => {
    const [metrics, workflow] = await Promise.all([
      call<{ total: { created: number } }>("GET", "/metrics?bucket=1h"),
      call<{ instances: Record<string, number> }>("GET", ""),
    ]);
    const indexed = Object.values(workflow.result.instances).reduce((sum, count) => sum + count, 0);
    expect(indexed).toBeGreaterThanOrEqual(created.length);
    expect(metrics.result.total.created).toBe(indexed);
  });

  it("reports the segments it spans", async () => {
    const workflow = await call<{ capacity: { segments: number; instances: number } }>("GET", "");
    expect(workflow.result.capacity.segments).toBeGreaterThanOrEqual(Math.floor(created.length / SEGMENT_SIZE));
  });
});
