import { introspectWorkflowInstance } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import { api, BASE, errorOf, mintToken, TOKEN, uniqueId } from "../helpers/api";

type Event = { eventId: number; type: string; stepName?: string };

/** Opens the instance's stream as a WebSocket client would and reads it until the server closes it. */
async function stream(path: string, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }) {
  const response = await exports.default.fetch(`${BASE}${path}`, { headers: { Upgrade: "websocket", ...headers } });
  const socket = response.webSocket;
  if (!socket) return { status: response.status, body: await response.text(), events: [], close: undefined };
  const events: Event[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.addEventListener("message", (message) => events.push(JSON.parse(String(message.data)) as Event));
    socket.addEventListener("close", (close) => resolve({ code: close.code, reason: close.reason }));
  });
  socket.accept();
  return { status: response.status, body: "", events, close: await closed };
}

const PATH = (id: string) => `/workflows/probe/instances/${id}/subscribe`;

describe("GET /workflows/:workflow_name/instances/:instance_id/subscribe", () => {
  it("streams every event as JSON, retained ones first, and closes after the end", async ({ expect }) => {
    const id = uniqueId("stream");
    await using instance = await introspectWorkflowInstance(env.PROBE, id);
    await env.PROBE.create({ id, params: { loops: 2 } });
    await instance.waitForStatus("complete");
    const { status, events, close } = await stream(PATH(id));
    expect(status).toBe(101);
    expect(events.map((event) => event.eventId)).toEqual(events.map((_, index) => index + 1));
    expect(events[0]?.type).toBe("workflow_queued");
    expect(events.at(-1)?.type).toBe("workflow_completed");
    expect(events.filter((event) => event.type === "step_completed").map((event) => event.stepName)).toEqual([
      "prepare-1",
      "loop-1",
      "loop-2",
    ]);
    expect(close).toMatchObject({ code: 1000 });
  });

  it("starts after the cursor, keeps only the filter's types, and still ends at the end", async ({ expect }) => {
    const id = uniqueId("filtered");
    await using instance = await introspectWorkflowInstance(env.PROBE, id);
    await env.PROBE.create({ id, params: { loops: 2 } });
    await instance.waitForStatus("complete");
    const all = (await stream(PATH(id))).events;
    const third = all[2]?.eventId ?? 0;
    const after = await stream(`${PATH(id)}?cursor=${third}&filter=step_started&filter=step_completed`);
    const expected = all.filter((event) => event.eventId > third && event.type.startsWith("step_"));
    expect(after.events).toEqual(expected);
    expect(after.close).toMatchObject({ code: 1000 });
  });

  it("streams live events while the instance runs", async ({ expect }) => {
    const id = uniqueId("live");
    await using instance = await introspectWorkflowInstance(env.PROBE, id);
    await env.PROBE.create({ id, params: { waitFor: "go" } });
    await instance.waitForStepResult({ name: "prepare" });
    const reading = stream(PATH(id));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await (await env.PROBE.get(id)).sendEvent({ type: "go", payload: {} });
    const { events, close } = await reading;
    expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(["wait_started", "wait_completed"]));
    expect(events.at(-1)?.type).toBe("workflow_completed");
    expect(close).toMatchObject({ code: 1000 });
  });

  it("opens with a subscribe token in the query, which opens nothing else", async ({ expect }) => {
    const id = uniqueId("tokened");
    await using instance = await introspectWorkflowInstance(env.PROBE, id);
    await env.PROBE.create({ id, params: {} });
    await instance.waitForStatus("complete");
    const minted = await api<{ token: string; expires_on: string }>("GET", `${PATH(id)}/token`);
    expect(minted.status).toBe(200);
    expect(Date.parse(minted.body.result.expires_on)).toBeGreaterThan(Date.now());
    const query = `token=${encodeURIComponent(minted.body.result.token)}`;
    expect((await stream(`${PATH(id)}?${query}`, {})).close).toMatchObject({ code: 1000 });
    const other = await api("GET", `/workflows/probe/instances/${id}?${query}`, { token: null });
    expect(errorOf(other)).toMatchObject({ status: 403, code: 10000 });
    const otherStream = await stream(`/workflows/probe/instances/someone-else/subscribe?${query}`, {});
    expect(otherStream.status).toBe(403);
  });

  it.for([
    ["no Upgrade header", PATH("anyone"), { Authorization: `Bearer ${TOKEN}` }, 400],
    [
      "a cursor that is no number",
      `${PATH("anyone")}?cursor=abc`,
      { Upgrade: "websocket", Authorization: `Bearer ${TOKEN}` },
      400,
    ],
    [
      "an unknown event type",
      `${PATH("anyone")}?filter=party`,
      { Upgrade: "websocket", Authorization: `Bearer ${TOKEN}` },
      400,
    ],
    ["a forged subscribe token", `${PATH("anyone")}?token=cps_e30.AAAA`, { Upgrade: "websocket" }, 401],
    ["an unknown instance", PATH("never-created"), { Upgrade: "websocket", Authorization: `Bearer ${TOKEN}` }, 404],
  ] as const)("refuses %s", async ([, path, headers, status], { expect }) => {
    const response = await exports.default.fetch(`${BASE}${path}`, { headers });
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ success: false, result: null });
  });

  it("needs read access to the workflow to mint a token", async ({ expect }) => {
    const eventsOnly = await mintToken({ name: "partner", permissions: ["events"] });
    const response = await api("GET", `${PATH("anyone")}/token`, { token: eventsOnly.value });
    expect(errorOf(response)).toMatchObject({ status: 403, code: 10000 });
  });
});
