import { describe, expect, inject, it } from "vitest";
import { untilStatus } from "./poll.ts";
import { wrangler } from "./wrangler-cli.ts";

const { baseUrl, token, accountId } = inject("controlPlane");

/** Reads an instance straight from the REST API, to check what wrangler did. */
type Instance = { status: string; output: unknown; steps: { type: string; finished?: boolean }[] };

async function instance(workflow: string, id: string): Promise<Instance> {
  const response = await fetch(`${baseUrl}/accounts/${accountId}/workflows/${workflow}/instances/${id}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  const body = (await response.json()) as { result: Instance };
  return body.result;
}

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
    expect((await instance("hello-world", id)).output).toEqual({ greeting: "Hello, wrangler!" });
    const listed = await wrangler("instances", "list", "hello-world", "--per-page", "100");
    expect(listed).toContain(id);
    const described = await wrangler("instances", "describe", "hello-world", id);
    expect(described).toContain(id);
    expect(described).toMatch(/Status:\s+✅ Completed/);
    // "latest" makes wrangler list the instances first, with a trailing slash on the path.
    expect(await wrangler("instances", "describe", "hello-world", "latest")).toContain("Instance Id:");
  });

  it("pauses, resumes, sends an event, restarts and terminates an order", async () => {
    const id = `wrangler-order-${Date.now()}`;
    await wrangler("trigger", "order-approval", JSON.stringify({ orderId: id, amount: 25 }), "--id", id);

    expect(await wrangler("instances", "pause", "order-approval", id)).toContain("paused successfully");
    await untilStatus(() => instance("order-approval", id), "paused");
    expect(await wrangler("instances", "describe", "order-approval", id)).toMatch(/Status:\s+⏸️ Paused/);

    expect(await wrangler("instances", "resume", "order-approval", id)).toContain("resumed successfully");
    expect((await instance("order-approval", id)).status).not.toBe("paused");
    const sent = await wrangler(
      "instances",
      "send-event",
      "order-approval",
      id,
      "--type",
      "approval",
      "--payload",
      '{"approved":true}',
    );
    expect(sent).toContain("approval");
    const done = await untilStatus(() => instance("order-approval", id), "complete");
    expect(done.output).toMatchObject({ approved: true, outcome: "confirmed" });

    expect(await wrangler("instances", "restart", "order-approval", id)).toContain("restarted successfully");
    expect((await instance("order-approval", id)).status).not.toBe("complete");

    expect(await wrangler("instances", "terminate", "order-approval", id)).toContain("terminated successfully");
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
