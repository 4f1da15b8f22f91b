import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { BASE, TOKEN, uniqueId } from "../helpers/api";

/**
 * A Workflow binding that fails every call with `failure`: the engine failing in a way no
 * pattern knows, which the local engine cannot be made to do (Cloudflare's own wording of
 * its failures is not known here).
 */
function failingEngine(failure: () => unknown): Workflow {
  const fail = async (): Promise<never> => {
    throw failure();
  };
  return { get: fail, create: fail, createBatch: fail, deleteBatch: fail } as unknown as Workflow;
}

/** The real app, with one more workflow bound to `engine` (as EXTRA_WORKFLOWS binds the probes). */
async function withEngine(engine: Workflow) {
  const name = uniqueId("failing-engine");
  const extra = JSON.parse((env as { EXTRA_WORKFLOWS?: string }).EXTRA_WORKFLOWS ?? "[]") as unknown[];
  const bound = {
    ...env,
    FAILING_ENGINE: engine,
    EXTRA_WORKFLOWS: JSON.stringify([
      ...extra,
      { name, binding: "FAILING_ENGINE", className: "FailingWorkflow", scriptName: "elsewhere" },
    ]),
  } as Env;
  const app = createApp();
  const call = async (method: string, path: string, body?: unknown) => {
    const ctx = createExecutionContext();
    const response = await app.fetch(
      new Request(`${BASE}${path}`, {
        method,
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
      bound,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const envelope = (await response.json()) as {
      success: boolean;
      errors: { code: number; message: string }[];
      result: unknown;
    };
    return { status: response.status, envelope, requestId: response.headers.get("X-Request-Id") ?? "" };
  };
  const defined = await call("PUT", `/workflows/${name}`, { class_name: "FailingWorkflow", script_name: "elsewhere" });
  if (defined.status !== 200) throw new Error(`could not define ${name}: ${JSON.stringify(defined.envelope)}`);
  return { name, call };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("an engine failure no pattern recognises", () => {
  it.for([
    [
      "an Error of unknown wording",
      (): unknown => new Error("E_MOON_QUORUM: the moon is not in quorum (retry in 0x2a)"),
    ],
    ["a TypeError", (): unknown => new TypeError("Cannot read properties of undefined (reading 'shard')")],
    ["a thrown string", (): unknown => "engine went away"],
    ["an object with a code", (): unknown => ({ code: 7, detail: "opaque" })],
  ] as const)(
    "answers 502 with code 10901 and the request id for %s, logs its text, stores nothing",
    async ([, failure], { expect }) => {
      const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
      const { name, call } = await withEngine(failingEngine(failure));
      const id = uniqueId("never");

      const created = await call("POST", `/workflows/${name}/instances`, { instance_id: id });
      expect(created.status).toBe(502);
      expect(created.envelope).toMatchObject({ success: false, result: null });
      expect(created.envelope.errors[0]?.code).toBe(10901);
      expect(created.envelope.errors[0]?.message).toContain(created.requestId);
      expect(created.requestId).not.toBe("");
      const lines = logged.mock.calls.map((args) => String(args[0]));
      const line = lines.find((text) => text.includes(created.requestId));
      expect(line, lines.join("\n")).toBeDefined();
      const raw = failure();
      expect(line).toContain(JSON.stringify(raw instanceof Error ? raw.message : String(raw)).slice(1, -1));

      const paused = await call("PATCH", `/workflows/${name}/instances/${id}/status`, { status: "pause" });
      expect(paused.status).toBe(502);
      expect(paused.envelope.errors[0]?.code).toBe(10901);

      // A call the services do not wrap per instance: the engine's failure is still a 502.
      const deleted = await call("POST", `/workflows/${name}/instances/batch/delete`, { instances: [id] });
      expect(deleted.status).toBe(502);
      expect(deleted.envelope.errors[0]?.code).toBe(10901);
      expect(deleted.envelope.errors[0]?.message).toContain(deleted.requestId);

      const listed = await call("GET", `/workflows/${name}/instances`);
      expect(listed.envelope.result).toEqual([]);
    },
  );

  it("still recognises a failure by the key Cloudflare gives it, whatever its wording", async ({ expect }) => {
    const { name, call } = await withEngine(
      failingEngine(() => new Error("workflows.api.error.instance.not_found: nothing here by that name")),
    );
    const paused = await call("PATCH", `/workflows/${name}/instances/${uniqueId("gone")}/status`, {
      status: "pause",
    });
    expect(paused.status).toBe(404);
    expect(paused.envelope.errors[0]?.code).toBe(10400);
  });
});
