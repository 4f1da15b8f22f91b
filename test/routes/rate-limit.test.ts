import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { parse } from "smol-toml";
import { describe, it } from "vitest";
import { RATE_LIMITS } from "../../src/access/rate-limit";
import { createApp } from "../../src/app";
import wranglerToml from "../../wrangler.toml?raw";
import { api, BASE, counts, errorOf, mintToken, TOKEN, uniqueId } from "../helpers/api";

type RateLimitConfig = { name: string; simple: { limit: number; period: number } };

const configured = new Map(
  ((parse(wranglerToml) as { ratelimits?: RateLimitConfig[] }).ratelimits ?? []).map((entry) => [
    entry.name,
    entry.simple,
  ]),
);

/** The limit wrangler.toml gives a class's binding. */
function limitOf(binding: string): number {
  const simple = configured.get(binding);
  if (!simple) throw new Error(`wrangler.toml has no [[ratelimits]] entry named ${binding}`);
  return simple.limit;
}

/**
 * Waits, if need be, for the binding's next window: it counts in windows aligned to the clock,
 * so a burst that starts early in one is counted whole in it.
 */
async function startOfRoomyWindow(periodSeconds: number, neededMs: number): Promise<void> {
  const periodMs = periodSeconds * 1000;
  const left = periodMs - (Date.now() % periodMs);
  if (left < neededMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

/** Sends `count` requests, 20 at a time; returns their statuses in order. */
async function burst(count: number, send: () => Promise<{ status: number }>): Promise<number[]> {
  const statuses: number[] = [];
  for (let sent = 0; sent < count; sent += 20) {
    const wave = await Promise.all(Array.from({ length: Math.min(20, count - sent) }, send));
    statuses.push(...wave.map((response) => response.status));
  }
  return statuses;
}

function expectRateLimited(response: Awaited<ReturnType<typeof api>>, retryAfter: number) {
  return {
    error: errorOf(response),
    retryAfter: response.headers.get("Retry-After"),
    expected: {
      status: 429,
      code: 971,
      message: "Please wait and consider throttling your request speed",
      retryAfter: String(retryAfter),
    },
  };
}

describe("rate limits per credential", () => {
  it("wrangler.toml binds every class with the period Retry-After is computed from", ({ expect }) => {
    for (const { binding, periodSeconds } of Object.values(RATE_LIMITS)) {
      expect(configured.get(binding)?.period, binding).toBe(periodSeconds);
    }
  });

  it("refuses a scoped token past its limit with 429 and code 971, and the refused create leaves nothing", async ({
    expect,
  }) => {
    const token = await mintToken({ name: uniqueId("busy"), permissions: ["edit"] });
    const other = await mintToken({ name: uniqueId("calm"), permissions: ["read"] });
    const limit = limitOf("TOKEN_RATE_LIMIT");
    await startOfRoomyWindow(RATE_LIMITS.token.periodSeconds, 8_000);
    const before = await counts("hello-world");

    const statuses = await burst(limit, () => api("GET", "/workflows", { token: token.value }));
    expect(statuses.every((status) => status === 200)).toBe(true);
    const id = uniqueId("refused");
    const refused = await api("POST", "/workflows/hello-world/instances", {
      token: token.value,
      body: { instance_id: id },
    });
    const { error, retryAfter, expected } = expectRateLimited(refused, RATE_LIMITS.token.periodSeconds);
    expect({ ...error, retryAfter }).toEqual(expected);
    expect(refused.body).toMatchObject({ success: false, result: null, messages: [] });

    expect(errorOf(await api("GET", `/workflows/hello-world/instances/${id}`))).toMatchObject({ status: 404 });
    expect(await counts("hello-world")).toEqual(before);
    // Each credential has its own count.
    expect((await api("GET", "/workflows", { token: other.value })).status).toBe(200);
  });

  it("counts a token that may only send events in its own class", async ({ expect }) => {
    const partner = await mintToken({ name: uniqueId("partner"), permissions: ["events"] });
    const limit = limitOf("EVENTS_RATE_LIMIT");
    await startOfRoomyWindow(RATE_LIMITS.events.periodSeconds, 8_000);
    const send = () =>
      api("POST", `/workflows/order-approval/instances/${uniqueId("none")}/events/approval`, {
        token: partner.value,
        body: {},
      });
    const statuses = await burst(limit, send);
    // Past the auth and the limit, each is answered by the engine: no such instance.
    expect(statuses.every((status) => status === 404)).toBe(true);
    const { error, retryAfter, expected } = expectRateLimited(await send(), RATE_LIMITS.events.periodSeconds);
    expect({ ...error, retryAfter }).toEqual(expected);
  });

  it("limits the admin token by its own binding", async ({ expect }) => {
    // The admin class's limit is high enough for a whole test suite; the same code path is
    // tried with the scoped tokens' binding in its place.
    const app = createApp();
    const limited = { ...env, ADMIN_RATE_LIMIT: env.TOKEN_RATE_LIMIT };
    const call = async (path: string, init: RequestInit = {}) => {
      const ctx = createExecutionContext();
      const response = await app.fetch(
        new Request(`${BASE}${path}`, {
          ...init,
          headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
        }),
        limited,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return { status: response.status, headers: response.headers, body: await response.json() };
    };
    await startOfRoomyWindow(RATE_LIMITS.token.periodSeconds, 8_000);
    const statuses = await burst(limitOf("TOKEN_RATE_LIMIT"), () => call("/workflows"));
    expect(statuses.every((status) => status === 200)).toBe(true);
    const refused = await call("/workflows/hello-world", { method: "DELETE" });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ success: false, errors: [{ code: 971 }] });
    expect(refused.headers.get("Retry-After")).toBe(String(RATE_LIMITS.admin.periodSeconds));
    // Refused, so the workflow is still there.
    expect((await api("GET", "/workflows/hello-world")).status).toBe(200);
  });

  it("counts requests with no valid credential per client IP", async ({ expect }) => {
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const limit = limitOf("ANONYMOUS_RATE_LIMIT");
    await startOfRoomyWindow(RATE_LIMITS.anonymous.periodSeconds, 8_000);
    const guess = () => api("GET", "/workflows", { token: uniqueId("guess"), headers: { "CF-Connecting-IP": ip } });
    const statuses = await burst(limit, guess);
    expect(statuses.every((status) => status === 401)).toBe(true);
    const { error, retryAfter, expected } = expectRateLimited(await guess(), RATE_LIMITS.anonymous.periodSeconds);
    expect({ ...error, retryAfter }).toEqual(expected);
    // A valid credential from the same address counts as itself.
    expect((await api("GET", "/workflows", { headers: { "CF-Connecting-IP": ip } })).status).toBe(200);
  });
});
