import Cloudflare from "cloudflare";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DevServer, startDevServer } from "../../scripts/lib/dev-server.ts";
import { launchChromium } from "./browser.ts";
import { unique } from "./ids.ts";
import { until, untilStatus } from "./poll.ts";
import { runWrangler } from "./wrangler-cli.ts";

/**
 * A plain Workflow in another Worker (examples/shipping-worker: a WorkflowEntrypoint with a
 * retried step, a sleep and a wait for an event, nothing of this project in it), bound by script
 * name and run beside the control plane by `npm run dev`, seen through REST (the official SDK),
 * wrangler, the dashboard, the WebSocket event stream and, in a second `npm run dev` led by the
 * consumer example, RPC.
 */

const { baseUrl, token, accountId } = inject("controlPlane");
const cloudflare = new Cloudflare({ apiToken: token, baseURL: baseUrl, maxRetries: 0 });
const account_id = accountId;
const workflow_name = "ship-order";
const instancePath = (id: string) => `${baseUrl}/accounts/${accountId}/workflows/${workflow_name}/instances/${id}`;

type EngineEvent = { eventId: number; type: string; stepName?: string };

async function counts() {
  return (await cloudflare.workflows.get(workflow_name, { account_id })).instances;
}

async function listedAs(status: "waiting" | "complete", id: string): Promise<void> {
  await until(
    async () => {
      for await (const instance of cloudflare.workflows.instances.list(workflow_name, { account_id, status })) {
        if (instance.id === id) return true;
      }
      return false;
    },
    (listed) => listed,
    20_000,
    () => `${id} was not listed as ${status}`,
  );
}

const details = (id: string) => cloudflare.workflows.instances.get(id, { account_id, workflow_name });

/** Opens the instance's stream as a browser would (a subscribe token in the URL) and reads it until it closes. */
async function streamEvents(id: string, query = ""): Promise<{ events: EngineEvent[]; code: number }> {
  const minted = await fetch(`${instancePath(id)}/subscribe/token`, { headers: { Authorization: `Bearer ${token}` } });
  const { result } = (await minted.json()) as { result: { token: string } };
  const url = new URL(`${instancePath(id)}/subscribe?${query}`);
  url.searchParams.set("token", result.token);
  url.protocol = "ws:";
  const socket = new WebSocket(url);
  const events: EngineEvent[] = [];
  return new Promise((resolve, reject) => {
    socket.addEventListener("message", (message) => events.push(JSON.parse(String(message.data)) as EngineEvent));
    socket.addEventListener("close", (close) => resolve({ events, code: close.code }));
    socket.addEventListener("error", () => reject(new Error(`the stream of ${id} failed`)));
  });
}

describe("a plain Workflow of another Worker under npm run dev", () => {
  let browser: Browser;
  let id = "";
  let firstRunEnded = "";

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("is listed and counted as waiting while it waits for its event, with every attempt in its log", async () => {
    const before = await counts();
    id = unique("ship");
    await cloudflare.workflows.instances.create(workflow_name, {
      account_id,
      instance_id: id,
      params: JSON.stringify({ orderId: id }),
    });
    await listedAs("waiting", id);
    const waiting = await until(
      () => details(id),
      (current) => current.steps.length === 4,
      30_000,
      (last) => `${last?.status} with ${last?.steps.length} steps, waiting for the wait to begin`,
    );
    expect(waiting.status).toBe("waiting");
    expect((await counts()).waiting).toBe((before.waiting ?? 0) + 1);
    expect(waiting.steps).toMatchObject([
      { type: "step", name: "validate order-1", success: true },
      {
        type: "step",
        name: "buy shipping label-1",
        success: true,
        config: { retries: { limit: 3, delay: "1 second", backoff: "constant" }, timeout: "1 minute" },
        attempts: [
          { success: false, error: { name: "Error", message: "carrier busy" } },
          { success: true, error: null },
        ],
      },
      { type: "sleep", name: "wait for pickup window-1", finished: true },
      { type: "waitForEvent", name: "wait for pickup-1", finished: false },
    ]);
  });

  it("shows the same through wrangler workflows instances describe", async () => {
    const { stdout } = await runWrangler("instances", "describe", workflow_name, id);
    expect(stdout).toMatch(/Status:\s+⏰ Waiting/);
    expect(stdout).toContain("buy shipping label-1");
    expect(stdout).toContain("Error: carrier busy");
    expect(stdout).toContain("Waiting for event");
  });

  it("shows its timeline in the dashboard, and follows it live to the end through the event stream", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const streams: string[] = [];
    page.on("websocket", (socket) => streams.push(socket.url()));
    const origin = new URL(baseUrl).origin;
    await page.goto(`${origin}/`);
    await page.getByLabel("API token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Workflows", level: 1 }).waitFor();
    await page.goto(`${origin}/#/workflows/${workflow_name}/instances/${id}`);
    await page.locator(".instance-title .badge", { hasText: "Waiting" }).waitFor();
    await expect.poll(() => page.locator(".lane").count()).toBe(4);
    expect(await page.locator(".lane.current").getAttribute("data-step")).toBe("wait for pickup-1");
    await page.getByRole("button", { name: /buy shipping label-1/ }).click();
    await expect.poll(() => page.getByRole("table", { name: "Attempts" }).textContent()).toContain("carrier busy");
    expect(streams).toEqual([expect.stringContaining(`/instances/${id}/subscribe?token=`)]);

    // The page polls nothing: it sees the event arrive through its stream.
    await cloudflare.workflows.instances.events.create("picked-up", {
      account_id,
      workflow_name,
      instance_id: id,
      body: { at: "2026-12-01T12:00:00Z" },
    });
    await page.locator(".instance-title .badge", { hasText: "Complete" }).waitFor();
    expect(await page.locator(".lane.current").count()).toBe(0);
    await page.close();
  });

  it("streams its events over a WebSocket, from a cursor and through a filter", async () => {
    const done = await untilStatus(() => details(id), "complete");
    firstRunEnded = done.end ?? "";
    expect(JSON.parse(String(done.output))).toEqual({
      orderId: id,
      label: `label-${id}`,
      pickedUpAt: "2026-12-01T12:00:00Z",
    });
    await listedAs("complete", id);

    const all = await streamEvents(id);
    expect(all.code).toBe(1000);
    expect(all.events.map((event) => event.type)).toEqual(
      expect.arrayContaining(["attempt_errored", "sleep_started", "wait_started", "wait_completed"]),
    );
    expect(all.events.at(-1)?.type).toBe("workflow_completed");
    const cursor = all.events[4]?.eventId ?? 0;
    const resumed = await streamEvents(id, `cursor=${cursor}`);
    expect(resumed.events).toEqual(all.events.filter((event) => event.eventId > cursor));
    const attempts = await streamEvents(id, "filter=attempt_started&filter=attempt_errored");
    expect(attempts.events.map((event) => [event.type, event.stepName])).toEqual([
      ["attempt_started", "validate order-1"],
      ["attempt_started", "buy shipping label-1"],
      ["attempt_errored", "buy shipping label-1"],
      ["attempt_started", "buy shipping label-1"],
    ]);
    expect(attempts.code).toBe(1000);
  });

  it("shows only the new run's history after a restart", async () => {
    await cloudflare.workflows.instances.status.edit(id, { account_id, workflow_name, status: "restart" });
    const restarted = await until(
      () => details(id),
      (current) => current.status === "waiting" && current.steps.length === 4,
      30_000,
      (last) => `${last?.status} with ${last?.steps.length} steps after the restart`,
    );
    expect(Date.parse(restarted.start ?? "")).toBeGreaterThan(Date.parse(firstRunEnded));
    expect(restarted.end).toBeNull();
    for (const step of restarted.steps) {
      if ("start" in step && step.start) expect(Date.parse(step.start)).toBeGreaterThan(Date.parse(firstRunEnded));
    }
    await cloudflare.workflows.instances.status.edit(id, { account_id, workflow_name, status: "terminate" });
  });
});

describe("the same Workflow over RPC, from the consumer example", () => {
  let server: DevServer;

  beforeAll(async () => {
    server = await startDevServer({
      logPath: "test/e2e/.artifacts/consumer-dev-server.log",
      flags: ["-c", "examples/consumer/wrangler.toml", "-c", "wrangler.toml"],
    });
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("ships an order and reads the shipment step by step through the service binding", async () => {
    const origin = new URL(server.baseUrl).origin;
    const orderId = unique("rpc-order");
    const started = await fetch(`${origin}/orders/${orderId}/shipment`, { method: "POST" });
    expect(started.status).toBe(201);
    const shipment = await until(
      async () =>
        (await (await fetch(`${origin}/orders/${orderId}/shipment`)).json()) as { status: string; steps: unknown[] },
      (current) => current.status === "waiting" && current.steps.length === 4,
      30_000,
      (last) => `${last?.status} with ${last?.steps.length} steps`,
    );
    expect(shipment.steps).toMatchObject([
      { name: "validate order-1" },
      {
        name: "buy shipping label-1",
        attempts: [{ success: false, error: { message: "carrier busy" } }, { success: true }],
      },
      { type: "sleep", finished: true },
      { type: "waitForEvent", finished: false },
    ]);
  });
});
