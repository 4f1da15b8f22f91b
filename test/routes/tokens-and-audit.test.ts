import { introspectWorkflowInstance } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { type AuditRecord, api, audit, createInstance, errorOf, mintToken, uniqueId } from "../helpers/api";
import { eventually } from "../helpers/eventually";

type Token = { id: string; name: string; status: string; value?: string; permissions: string[] };

describe("POST /tokens", () => {
  it("shows the secret once and keeps only its hash", async ({ expect }) => {
    const created = await mintToken({ name: "ci", permissions: ["read"] });
    expect(created).toMatchObject({ name: "ci", status: "active", permissions: ["read"] });
    expect(created.value).toMatch(/^cpt_[A-Za-z0-9_-]{43}$/);
    const secret = created.value ?? "";
    const read = await api<Token>("GET", `/tokens/${created.id}`);
    const listed = await api<Token[]>("GET", "/tokens?per_page=100");
    expect(read.body.result).not.toHaveProperty("value");
    expect(JSON.stringify(read.body)).not.toContain(secret);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    const row = await env.DB.prepare("SELECT * FROM api_tokens WHERE id = ?").bind(created.id).first();
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(row?.secret_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it.for([
    ["no permissions", { name: "x", permissions: [] }],
    ["an unknown permission", { name: "x", permissions: ["root"] }],
    ["a past expiry", { name: "x", permissions: ["read"], expires_on: "2020-01-01T00:00:00Z" }],
    ["an invalid workflow name", { name: "x", permissions: ["read"], workflows: ["bad name"] }],
    ["no name", { permissions: ["read"] }],
  ] as const)("refuses %s with 400", async ([, body], { expect }) => {
    expect(errorOf(await api("POST", "/tokens", { body }))).toMatchObject({ status: 400, code: 10002 });
  });
});

describe("DELETE /tokens/:token_id", () => {
  it("revokes a token at once", async ({ expect }) => {
    const created = await mintToken({ name: "to-revoke", permissions: ["edit"] });
    expect((await api("GET", "/workflows", { token: created.value ?? "" })).status).toBe(200);
    const revoked = await api<Token>("DELETE", `/tokens/${created.id}`);
    expect(revoked.body.result.status).toBe("revoked");
    const refused = errorOf(await api("GET", "/workflows", { token: created.value ?? "" }));
    expect(refused).toMatchObject({ status: 401, code: 10000 });
    expect(refused.message).toContain("revoked");
  });

  it("answers 404 for an unknown token", async ({ expect }) => {
    expect(errorOf(await api("DELETE", "/tokens/0123456789abcdef0123456789abcdef"))).toMatchObject({
      status: 404,
      code: 10700,
    });
  });
});

describe("GET /audit", () => {
  it("records who changed what, with the request id, outcome and reason, and never a secret", async ({ expect }) => {
    const operator = await mintToken({ name: "night-shift", permissions: ["edit"] });
    const id = uniqueId("audited");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    const created = await api<{ id: string }>("POST", "/workflows/hello-world/instances", {
      token: operator.value ?? "",
      body: { instance_id: id },
    });
    await instance.waitForStatus("complete");
    const refused = await api("PATCH", `/workflows/hello-world/instances/${id}/status`, {
      token: operator.value ?? "",
      body: { status: "pause", reason: "stop the world" },
    });
    expect(refused.status).toBe(409);

    const records = await eventually(async () => {
      const found = await audit(`actor_id=${operator.id}`);
      if (found.length < 2) throw new Error("not recorded yet");
      return found;
    });
    const [pause, create] = records;
    expect(create).toMatchObject({
      actor: { type: "token", id: operator.id, name: "night-shift" },
      action: "POST /workflows/:workflow_name/instances",
      workflow_name: "hello-world",
      outcome: "success",
      status: 200,
      request_id: created.headers.get("X-Request-Id"),
      instance_id: id,
    });
    expect(pause).toMatchObject({
      action: "PATCH /workflows/:workflow_name/instances/:instance_id/status",
      instance_id: id,
      outcome: "failure",
      status: 409,
      error_code: 10409,
      reason: "stop the world",
      detail: { status: "pause" },
    });
    expect(JSON.stringify(await audit(""))).not.toContain(operator.value ?? "no secret");
  });

  it("filters by workflow and outcome, and pages newest first by cursor", async ({ expect }) => {
    for (const index of [1, 2, 3]) {
      await api("PUT", `/workflows/${uniqueId(`audit-${index}`)}`, { body: { class_name: "", script_name: "x" } });
    }
    const failures = await eventually(async () => {
      const found = await audit("outcome=failure");
      if (found.length < 3) throw new Error("not recorded yet");
      return found;
    });
    expect(failures.every((record) => record.outcome === "failure")).toBe(true);
    const first = await api<AuditRecord[]>("GET", "/audit?per_page=2&outcome=failure");
    const cursor = first.body.result_info?.cursor;
    expect(cursor).toBeDefined();
    const second = await api<AuditRecord[]>("GET", `/audit?per_page=2&outcome=failure&cursor=${cursor}`);
    const ids = [...first.body.result, ...second.body.result].map((record) => record.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(ids.length);
    expect((await audit("workflow=order-approval")).every((record) => record.workflow_name === "order-approval")).toBe(
      true,
    );
  });

  it("records nothing for a refused credential, and the same call with a valid one", async ({ expect }) => {
    // Both calls fail (the workflow does not exist); only the one with a valid token is recorded.
    // The refused one goes first, so once the second is in the trail the first would be too.
    const workflow = uniqueId("refused");
    const refused = await api("POST", `/workflows/${workflow}/instances`, { token: "wrong", body: {} });
    expect(refused.status).toBe(401);
    const accepted = await api("POST", `/workflows/${workflow}/instances`, { body: {} });
    expect(accepted.status).toBe(404);
    const records = await eventually(async () => {
      const found = await audit(`workflow=${workflow}`);
      if (found.length === 0) throw new Error("not recorded yet");
      return found;
    });
    expect(records).toEqual([
      expect.objectContaining({ actor: expect.objectContaining({ id: "admin" }), status: 404 }),
    ]);
  });
});

describe("deleted instances in the audit trail", () => {
  it("names the instance a DELETE removed", async ({ expect }) => {
    const id = uniqueId("deleted");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await createInstance("hello-world", { instance_id: id });
    await instance.waitForStatus("complete");
    await api("DELETE", `/workflows/hello-world/instances/${id}`);
    const records = await eventually(async () => {
      const found = (await audit("workflow=hello-world")).filter((record) => record.instance_id === id);
      if (found.length === 0) throw new Error("not recorded yet");
      return found;
    });
    expect(records[0]).toMatchObject({
      action: "DELETE /workflows/:workflow_name/instances/:instance_id",
      outcome: "success",
    });
  });
});
