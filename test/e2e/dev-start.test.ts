import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../../scripts/lib/dev-server.ts";
import { unique } from "./ids.ts";
import { until, untilStatus } from "./poll.ts";

/**
 * What a newcomer sees: the first `npm run dev` on fresh local state (its own, apart from the
 * one the other e2e files share), read from the terminal output `npm run dev` gives, then a
 * pause, a termination and a workflow that fails on purpose.
 */

const terminalLog = "test/e2e/.artifacts/dev-start.log";
const BANNER = /Workflow control plane is ready/;
const ESCAPE = String.fromCharCode(27);
const plain = (text: string) => text.replace(new RegExp(`${ESCAPE}\\[[0-9;]*m`, "g"), "");
const terminal = () => plain(readFileSync(terminalLog, "utf8"));

let server: DevServer;

beforeAll(async () => {
  server = await startDevServer({ logPath: terminalLog });
  // The harness sees the banner on the pipe a moment before its log file has it.
  await until(
    async () => terminal(),
    (text) => BANNER.test(text),
    10_000,
    () => `no banner in ${terminalLog}`,
  );
}, 180_000);

afterAll(async () => {
  await server?.stop();
});

describe("the first start", () => {
  it("prints about 40 lines before its banner, the migrations in one line naming the log", () => {
    const lines = terminal().split("\n");
    const banner = lines.findIndex((line) => BANNER.test(line));
    expect(banner).toBeGreaterThan(0);
    // About 40: the binding table is most of them, a line per binding.
    expect(banner, lines.slice(0, banner).join("\n")).toBeLessThanOrEqual(45);

    const migrations = readdirSync("migrations").filter((name) => name.endsWith(".sql")).length;
    expect(lines).toContain(
      `Applied ${migrations} D1 migrations (log: ${server.wranglerLogPath}, with every line of wrangler dev; a few known harmless ones are left out here)`,
    );
    const log = plain(readFileSync(server.wranglerLogPath, "utf8"));
    expect(log.match(/0000_init\.sql/g)?.length).toBeGreaterThan(1);
    expect(terminal()).not.toMatch(/0000_init\.sql/);
  });

  it("does not say the types might be out of date (npm run typecheck checks them)", () => {
    expect(terminal()).not.toMatch(/types might be out of date/);
  });
});

describe("the local engine's expected errors", () => {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${server.baseUrl}/accounts/${server.accountId}/workflows/order-approval${path}`, {
      method,
      headers: { Authorization: `Bearer ${server.token}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(response.status, `${method} ${path}`).toBeLessThan(300);
    return ((await response.json()) as { result: T }).result;
  };
  const create = (params: unknown) =>
    call<{ id: string }>("POST", "/instances", { instance_id: unique("quiet"), params });
  const status = (id: string) => () => call<{ status: string }>("GET", `/instances/${id}`);

  it("reach the log, not the terminal: a pause, a termination, a step's NonRetryableError", async () => {
    const paused = await create({ orderId: unique("order"), amount: 5 });
    const terminated = await create({ orderId: unique("order"), amount: 5 });
    const failed = await create({ orderId: "" });
    await untilStatus(status(paused.id), "waiting");
    await untilStatus(status(terminated.id), "waiting");

    await call("PATCH", `/instances/${paused.id}/status`, { status: "pause" });
    await call("PATCH", `/instances/${terminated.id}/status`, { status: "terminate" });
    await untilStatus(status(paused.id), "paused");
    await untilStatus(status(terminated.id), "terminated");
    await untilStatus(status(failed.id), "errored");
    await call("PATCH", `/instances/${paused.id}/status`, { status: "terminate" });

    // The engine's messages reach wrangler after the API answered: wait until it printed them.
    const printed = (text: string) =>
      /Uncaught Error: Aborting engine: User called pause/.test(text) &&
      (text.match(/Uncaught (?:Error: )?NonRetryableError: params\.orderId/g)?.length ?? 0) >= 2;
    await until(
      async () => `${terminal()}\n${plain(readFileSync(server.wranglerLogPath, "utf8"))}`,
      printed,
      15_000,
      () => "wrangler never printed the engine's abort and the NonRetryableError twice",
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const shown = terminal();
    expect(shown).not.toMatch(/Aborting engine/);
    expect(shown).not.toMatch(/Uncaught/);
    expect(shown).not.toMatch(/\[ERROR\]/);
    expect(printed(plain(readFileSync(server.wranglerLogPath, "utf8")))).toBe(true);
    // The requests themselves still show.
    expect(shown).toMatch(new RegExp(`PATCH \\S+/instances/${paused.id}/status 200 OK`));
  });
});
