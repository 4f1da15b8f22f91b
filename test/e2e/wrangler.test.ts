import { describe, expect, inject, it } from "vitest";
import { until, untilStatus } from "./poll.ts";
import { runWrangler, wrangler } from "./wrangler-cli.ts";

const { baseUrl, token, accountId } = inject("controlPlane");

/** Reads an instance straight from the REST API, to check what wrangler did. */
type Instance = { status: string; output: unknown; steps: { type: string; finished?: boolean }[] };

async function instance(workflow: string, id: string): Promise<Instance> {
  return rest<Instance>(`/workflows/${workflow}/instances/${id}`);
}

async function rest<T>(path: string): Promise<T> {
  const response = await fetch(`${baseUrl}/accounts/${accountId}${path}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  const body = (await response.json()) as { result: T };
  return body.result;
}

/** What `wrangler workflows … --json` printed, parsed. */
async function json<T>(...args: string[]): Promise<T> {
  const { stdout } = await runWrangler(...args, "--json");
  return JSON.parse(stdout) as T;
}

type Summary = { id: string; created_on: string };

describe("wrangler workflows", () => {
  it("lists and describes workflows", async () => {
    const list = await wrangler("list");
    expect(list).toContain("hello-world");
    expect(list).toContain("order-approval");
    const described = await wrangler("describe", "order-approval");
    expect(described).toContain("OrderApprovalWorkflow");
    expect(described).toMatch(/Latest Version:\s+Id:\s+[0-9a-f-]{36}/);
  });

  it("triggers an instance, lists and describes it", async () => {
    const id = `wrangler-hello-${Date.now()}`;
    const triggered = await wrangler("trigger", "hello-world", JSON.stringify({ name: "wrangler" }), "--id", id);
    expect(triggered).toContain(id);
    await untilStatus(() => instance("hello-world", id), "complete");
    expect(JSON.parse(String((await instance("hello-world", id)).output))).toEqual({ greeting: "Hello, wrangler!" });
    const listed = await wrangler("instances", "list", "hello-world", "--per-page", "100");
    expect(listed).toContain(id);
    const described = await wrangler("instances", "describe", "hello-world", id);
    expect(described).toContain(id);
    expect(described).toMatch(/Status:\s+✅ Completed/);
    // "latest" makes wrangler list the instances first, with a trailing slash on the path.
    expect(await wrangler("instances", "describe", "hello-world", "latest")).toContain("Instance Id:");
  });

  it("answers --json with the REST API's data", async () => {
    const id = `wrangler-json-${Date.now()}`;
    expect(await json("trigger", "hello-world", JSON.stringify({ name: "json" }), "--id", id)).toMatchObject({ id });
    await untilStatus(() => instance("hello-world", id), "complete");

    expect(await json("instances", "describe", "hello-world", id)).toEqual({
      id,
      ...(await instance("hello-world", id)),
    });
    const listed = await json<Summary[]>("instances", "list", "hello-world", "--per-page", "100");
    const restListed = await rest<Summary[]>("/workflows/hello-world/instances?per_page=100");
    expect(listed.find((summary) => summary.id === id)).toEqual(restListed.find((summary) => summary.id === id));

    const workflows = await json<{ name: string }[]>("list");
    expect(workflows.map((workflow) => workflow.name)).toEqual(
      expect.arrayContaining(["hello-world", "order-approval"]),
    );
    expect(await json("describe", "hello-world")).toMatchObject({
      name: "hello-world",
      class_name: "HelloWorldWorkflow",
    });
  });

  it("lists the instances created between --date-start and --date-end", async () => {
    const id = `wrangler-dates-${Date.now()}`;
    await wrangler("trigger", "hello-world", "{}", "--id", id);
    const [summary] = await rest<Summary[]>(`/workflows/hello-world/instances?id_prefix=${id}`);
    if (!summary) throw new Error(`${id} is not listed`);
    const { created_on } = summary;
    const created = Date.parse(created_on);
    const around = (from: number, to: number) =>
      json<Summary[]>(
        "instances",
        "list",
        "hello-world",
        "--per-page",
        "100",
        "--date-start",
        new Date(from).toISOString(),
        "--date-end",
        new Date(to).toISOString(),
      ).then((page) => page.map((summary) => summary.id));
    expect(await around(created - 1_000, created + 1_000)).toContain(id);
    expect(await around(created - 60_000, created - 1_000)).not.toContain(id);
    expect(await around(created + 1, created + 60_000)).not.toContain(id);
    const day = created_on.slice(0, 10);
    expect(
      await wrangler("instances", "list", "hello-world", "--per-page", "100", "--date-start", day, "--date-end", day),
    ).toContain(id);
  });

  it("stops listing an instance once its retention ends, as Cloudflare forgets it", async () => {
    const id = `wrangler-brief-${Date.now()}`;
    const created = await fetch(`${baseUrl}/accounts/${accountId}/workflows/hello-world/instances`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ instance_id: id, instance_retention: { success_retention: "15 seconds" } }),
    });
    expect(created.status).toBe(200);
    await untilStatus(() => instance("hello-world", id), "complete");
    expect(await wrangler("instances", "list", "hello-world", "--per-page", "100")).toContain(id);
    const gone = await until(
      () => wrangler("instances", "list", "hello-world", "--per-page", "100"),
      (listed) => !listed.includes(id),
      60_000,
    );
    expect(gone).not.toContain(id);
    const read = await fetch(`${baseUrl}/accounts/${accountId}/workflows/hello-world/instances/${id}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(read.status).toBe(404);
  });

  it("pauses, resumes, sends an event, restarts and terminates an order", async () => {
    const id = `wrangler-order-${Date.now()}`;
    await wrangler("trigger", "order-approval", JSON.stringify({ orderId: id, amount: 25 }), "--id", id);

    expect(await wrangler("instances", "pause", "order-approval", id)).toContain("paused successfully");
    await untilStatus(() => instance("order-approval", id), "paused");
    expect(await wrangler("instances", "describe", "order-approval", id)).toMatch(/Status:\s+⏸️ Paused/);

    expect(await wrangler("instances", "resume", "order-approval", id)).toContain("resumed successfully");
    expect((await instance("order-approval", id)).status).not.toBe("paused");
    const sent = await json<{ instanceId: string; timestamp: string }>(
      "instances",
      "send-event",
      "order-approval",
      id,
      "--type",
      "approval",
      "--payload",
      '{"approved":true}',
    );
    expect(sent.instanceId).toBe(id);
    expect(Number.isNaN(Date.parse(sent.timestamp))).toBe(false);
    const done = await untilStatus(() => instance("order-approval", id), "complete");
    expect(JSON.parse(String(done.output))).toMatchObject({ approved: true, outcome: "confirmed" });

    expect(await wrangler("instances", "restart", "order-approval", id)).toContain("restarted successfully");
    expect((await instance("order-approval", id)).status).not.toBe("complete");

    expect(await json("instances", "terminate", "order-approval", id)).toEqual({
      status: "terminated",
      timestamp: expect.any(String),
    });
    await untilStatus(() => instance("order-approval", id), "terminated");
  });

  it("terminates every unfinished instance with terminate-all", async () => {
    const ids = [`wrangler-all-${Date.now()}-a`, `wrangler-all-${Date.now()}-b`];
    for (const id of ids)
      await wrangler("trigger", "order-approval", JSON.stringify({ orderId: id, amount: 1 }), "--id", id);
    await wrangler("instances", "terminate-all", "order-approval");
    for (const id of ids) await untilStatus(() => instance("order-approval", id), "terminated");
  });

  it("deletes instances", async () => {
    const id = `wrangler-delete-${Date.now()}`;
    await wrangler("trigger", "hello-world", "{}", "--id", id);
    await untilStatus(() => instance("hello-world", id), "complete");
    await wrangler("instances", "delete", "hello-world", id);
    const response = await fetch(`${baseUrl}/accounts/${accountId}/workflows/hello-world/instances/${id}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(404);
  });
});
