import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { createApp } from "../../src/app";
import { api, BASE, errorOf } from "../helpers/api";

describe("authentication", () => {
  it.for<{ name: string; headers: Record<string, string>; token: string | null }>([
    { name: "no Authorization header", headers: {}, token: null },
    { name: "a scheme other than Bearer", headers: { Authorization: "Basic abc" }, token: null },
    { name: "an empty bearer token", headers: { Authorization: "Bearer " }, token: null },
    { name: "a wrong token", headers: {}, token: "not-the-token" },
    { name: "a token that only starts right", headers: {}, token: "test-admin-token-and-more" },
  ])("refuses $name with 401 and code 10000", async ({ headers, token }, { expect }) => {
    const response = await api("GET", "/workflows", { headers, token });
    expect(errorOf(response)).toMatchObject({ status: 401, code: 10000 });
  });

  it("refuses every request when no ADMIN_TOKEN is configured, saying how to set one", async ({ expect }) => {
    const app = createApp();
    const ctx = createExecutionContext();
    const response = await app.fetch(
      new Request(`${BASE}/workflows`, { headers: { Authorization: "Bearer " } }),
      { ...env, ADMIN_TOKEN: "" },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const body = await response.json<{ errors: { code: number; message: string }[] }>();
    expect(response.status).toBe(401);
    expect(body.errors[0]?.code).toBe(10000);
    expect(body.errors[0]?.message).toContain("wrangler secret put ADMIN_TOKEN");
  });

  it("verifies a valid token", async ({ expect }) => {
    const response = await api("GET", "https://control-plane.test/client/v4/user/tokens/verify");
    expect(response.status).toBe(200);
    expect(response.body.result).toMatchObject({ id: "admin", status: "active", admin: true });
  });
});

describe("accounts", () => {
  it("refuses a path naming another account with 403", async ({ expect }) => {
    const response = await api("GET", "https://control-plane.test/client/v4/accounts/someone-else/workflows");
    const error = errorOf(response);
    expect(error).toMatchObject({ status: 403, code: 10000 });
    expect(error.message).toContain("someone-else");
  });
});

describe("routing", () => {
  it.for<[string, string]>([
    ["GET", "/nope"],
    ["GET", "https://control-plane.test/client/v4/nothing-here"],
    ["POST", "/workflows"],
    ["GET", "https://control-plane.test/"],
  ])("answers %s %s with a 404 envelope", async ([method, path], { expect }) => {
    const response = await api(method, path);
    expect(errorOf(response)).toMatchObject({ status: 404, code: 7003 });
  });

  it("accepts a trailing slash, as wrangler sends", async ({ expect }) => {
    const response = await api("GET", "/workflows/hello-world/instances/");
    expect(response.status, JSON.stringify(response.body)).toBe(200);
  });

  it("percent-decodes path segments", async ({ expect }) => {
    const response = await api("GET", "/workflows/hello%2Dworld");
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.result).toMatchObject({ name: "hello-world" });
  });

  it("echoes a request id on every response", async ({ expect }) => {
    const response = await api("GET", "/workflows");
    expect(response.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("internal errors", () => {
  it("answers 500 with the request id and nothing of the cause", async ({ expect }) => {
    const broken = {
      prepare() {
        throw new Error("SECRET_INTERNAL_DETAIL at db.ts:42");
      },
      batch() {
        throw new Error("SECRET_INTERNAL_DETAIL at db.ts:42");
      },
    } as unknown as D1Database;
    const app = createApp();
    const ctx = createExecutionContext();
    const response = await app.fetch(
      new Request(`${BASE}/workflows`, { headers: { Authorization: "Bearer test-admin-token" } }),
      { ...env, DB: broken },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(text).not.toContain("SECRET_INTERNAL_DETAIL");
    const body = JSON.parse(text) as { errors: { code: number; message: string }[] };
    expect(body.errors[0]?.code).toBe(10001);
    expect(body.errors[0]?.message).toContain(response.headers.get("X-Request-Id") ?? "missing id");
  });
});

describe("GET /client/v4/openapi.json", () => {
  it("describes every route from the validating schemas", async ({ expect }) => {
    const response = await api<never>("GET", "https://control-plane.test/client/v4/openapi.json", { token: null });
    const document = response.body as unknown as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(response.status).toBe(200);
    expect(document.openapi).toBe("3.1.0");
    const prefix = "/client/v4/accounts/{account_id}/workflows";
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        "/client/v4/user/tokens/verify",
        prefix,
        `${prefix}/{workflow_name}`,
        `${prefix}/{workflow_name}/versions`,
        `${prefix}/{workflow_name}/versions/{version_id}`,
        `${prefix}/{workflow_name}/versions/{version_id}/graph`,
        `${prefix}/{workflow_name}/instances`,
        `${prefix}/{workflow_name}/instances/batch`,
        `${prefix}/{workflow_name}/instances/batch/delete`,
        `${prefix}/{workflow_name}/instances/{instance_id}`,
        `${prefix}/{workflow_name}/instances/{instance_id}/status`,
        `${prefix}/{workflow_name}/instances/{instance_id}/events/{event_type}`,
        `${prefix}/{workflow_name}/instances/{instance_id}/step`,
        `${prefix}/{workflow_name}/instances/bulk`,
        `${prefix}/{workflow_name}/instances/batch/terminate`,
        `${prefix}/{workflow_name}/instances/terminate`,
        `${prefix}/{workflow_name}/bulk`,
        `${prefix}/{workflow_name}/bulk/{job_id}`,
        `${prefix}/{workflow_name}/bulk/{job_id}/results`,
        `${prefix}/{workflow_name}/bulk/{job_id}/cancel`,
      ]),
    );
    expect(Object.keys(document.paths[`${prefix}/{workflow_name}`] ?? {})).toEqual(["get", "put", "delete"]);
    expect(document.components.schemas).toHaveProperty("CreateInstance");
  });
});
