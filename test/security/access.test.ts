import { env } from "cloudflare:workers";
import { beforeAll, describe, it } from "vitest";
import { indexedWorkflows } from "../../src/index/directory";
import { acrossSegments } from "../../src/index/workflow-index";
import { createDeps } from "../../src/services/deps";
import { ACCOUNT, api, errorOf, mintToken } from "../helpers/api";

/**
 * Every route of the OpenAPI document, crossed with every way a caller can lack the right to
 * call it. Each must be refused with its documented status and code 10000, and leave the store
 * exactly as it was.
 */

type Route = { method: string; path: string; write: boolean; events: boolean; account: boolean; workflow: boolean };
type Token = { id: string; value: string };

const PARAMS: Record<string, string> = {
  account_id: ACCOUNT,
  workflow_name: "order-approval",
  instance_id: "some-instance",
  version_id: "00000000-0000-4000-8000-000000000000",
  job_id: "00000000-0000-4000-8000-000000000000",
  token_id: "0123456789abcdef0123456789abcdef",
  event_type: "approval",
};

let routes: Route[] = [];
const tokens: Record<"read" | "events" | "otherWorkflow" | "revoked" | "expired" | "edit", Token> = {} as never;

/**
 * Row counts of every D1 table, and the instances every workflow's index holds (its segments'
 * maintained counts): what "the store is unchanged" compares.
 */
async function storeFingerprint(): Promise<string> {
  const tables = [
    "workflows",
    "workflow_versions",
    "index_segments",
    "bulk_jobs",
    "api_tokens",
    "audit_log",
    "control_plane_state",
  ];
  const counts = await Promise.all(
    tables.map(async (table) => (await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())?.n),
  );
  const deps = createDeps(env);
  const segments = await Promise.all(
    (await indexedWorkflows(deps.db)).map((workflow) =>
      acrossSegments(deps.index, workflow.address, (segment) => segment.stats()),
    ),
  );
  const indexed = segments.flat().reduce((sum, segment) => sum + segment.instances, 0);
  const revoked = await env.DB.prepare("SELECT count(*) AS n FROM api_tokens WHERE revoked_on IS NOT NULL").first<{
    n: number;
  }>();
  return JSON.stringify([...counts, indexed, revoked?.n]);
}

beforeAll(async () => {
  const document = (await api<never>("GET", "https://control-plane.test/client/v4/openapi.json", { token: null }))
    .body as unknown as { paths: Record<string, Record<string, unknown>> };
  routes = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => ({
      method: method.toUpperCase(),
      path,
      write: method !== "get",
      events: path.includes("/events/"),
      account: path.includes("{account_id}"),
      workflow: path.includes("{workflow_name}"),
    })),
  );
  tokens.read = await mintToken({ name: "ci-reader", permissions: ["read"] });
  tokens.events = await mintToken({
    name: "partner",
    permissions: ["events"],
    workflows: ["order-approval"],
    event_types: ["approval"],
  });
  tokens.otherWorkflow = await mintToken({ name: "hello-only", permissions: ["edit"], workflows: ["hello-world"] });
  tokens.edit = await mintToken({ name: "operator", permissions: ["edit"] });
  tokens.revoked = await mintToken({ name: "revoked", permissions: ["edit"] });
  await api("DELETE", `/tokens/${tokens.revoked.id}`);
  tokens.expired = await mintToken({
    name: "short-lived",
    permissions: ["edit"],
    expires_on: new Date(Date.now() + 1000).toISOString(),
  });
  await new Promise((resolve) => setTimeout(resolve, 1100));
});

/** Verifying a token and learning the served account need only a valid token. */
function openToAnyToken(route: Route): boolean {
  return route.path.endsWith("/tokens/verify") || route.path === "/client/v4/accounts";
}

function url(route: Route, account = ACCOUNT): string {
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    name === "account_id" ? account : (PARAMS[name] ?? "x"),
  );
  return `https://control-plane.test${path}`;
}

const REFUSALS = [
  { name: "no token", applies: () => true, status: 401, call: { headers: {}, token: null } },
  {
    name: "a malformed header",
    applies: () => true,
    status: 401,
    call: { headers: { Authorization: "Token abc" }, token: null },
  },
  { name: "an unknown token", applies: () => true, status: 401, call: { token: "cpt_not-a-real-token" } },
  { name: "a revoked token", applies: () => true, status: 401, call: { token: () => tokens.revoked.value } },
  { name: "an expired token", applies: () => true, status: 401, call: { token: () => tokens.expired.value } },
  {
    name: "a read-only token on a write",
    applies: (route: Route) => route.write,
    status: 403,
    call: { token: () => tokens.read.value },
  },
  {
    name: "a token scoped to another workflow",
    applies: (route: Route) => route.workflow,
    status: 403,
    call: { token: () => tokens.otherWorkflow.value },
  },
  {
    name: "an events-only token on anything but events",
    applies: (route: Route) => !route.events && !openToAnyToken(route),
    status: 403,
    call: { token: () => tokens.events.value },
  },
  {
    name: "an edit token on token administration or the audit trail",
    applies: (route: Route) => /\/(tokens|audit)/.test(route.path) && !route.path.endsWith("/verify"),
    status: 403,
    call: { token: () => tokens.edit.value },
  },
  {
    name: "the wrong account in the path",
    applies: (route: Route) => route.account,
    status: 403,
    call: { account: "another-account" },
  },
] as const;

describe("access control on every route", () => {
  it("covers the whole API", ({ expect }) => {
    expect(routes.length).toBeGreaterThanOrEqual(30);
  });

  for (const refusal of REFUSALS) {
    it(`refuses ${refusal.name}, changing nothing`, async ({ expect }) => {
      const applicable = routes.filter((route) => refusal.applies(route) && !route.path.endsWith("/openapi.json"));
      expect(applicable.length).toBeGreaterThan(0);
      for (const route of applicable) {
        const before = await storeFingerprint();
        const call = refusal.call as {
          headers?: Record<string, string>;
          token?: null | string | (() => string);
          account?: string;
        };
        const token = typeof call.token === "function" ? call.token() : call.token;
        const response = await api(route.method, url(route, call.account), {
          headers: call.headers ?? {},
          ...(token === undefined ? {} : { token }),
          ...(route.write ? { body: {} } : {}),
        });
        const error = errorOf(response);
        expect(error, `${route.method} ${route.path}`).toMatchObject({ status: refusal.status, code: 10000 });
        expect(await storeFingerprint(), `${route.method} ${route.path} changed the store`).toBe(before);
      }
    });
  }
});

describe("what a scoped token may do", () => {
  it("lets an events token send only its event type to its workflow", async ({ expect }) => {
    const ok = await api("POST", "/workflows/order-approval/instances/nobody/events/approval", {
      token: tokens.events.value,
      body: {},
    });
    expect(errorOf(ok)).toMatchObject({ status: 404, code: 10400 });
    const otherType = await api("POST", "/workflows/order-approval/instances/nobody/events/cancel", {
      token: tokens.events.value,
      body: {},
    });
    expect(errorOf(otherType)).toMatchObject({ status: 403, code: 10000 });
    const otherWorkflow = await api("POST", "/workflows/hello-world/instances/nobody/events/approval", {
      token: tokens.events.value,
      body: {},
    });
    expect(errorOf(otherWorkflow)).toMatchObject({ status: 403, code: 10000 });
  });

  it("lists only the workflows a scoped token covers", async ({ expect }) => {
    const listed = await api<{ name: string }[]>("GET", "/workflows", { token: tokens.otherWorkflow.value });
    expect(listed.body.result.map((workflow) => workflow.name)).toEqual(["hello-world"]);
    const reader = await api<{ name: string }[]>("GET", "/workflows?per_page=100", { token: tokens.read.value });
    expect(reader.body.result.map((workflow) => workflow.name)).toEqual(
      expect.arrayContaining(["hello-world", "order-approval"]),
    );
  });

  it("verifies any valid token on both verify routes", async ({ expect }) => {
    for (const path of ["https://control-plane.test/client/v4/user/tokens/verify", "/tokens/verify"]) {
      const verified = await api("GET", path, { token: tokens.events.value });
      expect(verified.body.result).toEqual({
        id: tokens.events.id,
        status: "active",
        name: "partner",
        admin: false,
        permissions: ["events"],
        workflows: ["order-approval"],
        event_types: ["approval"],
      });
    }
    const admin = await api("GET", "/tokens/verify");
    expect(admin.body.result).toMatchObject({
      id: "admin",
      admin: true,
      permissions: ["read", "edit", "events", "metrics"],
    });
  });

  it("tells any valid token which account it is served, and no one else", async ({ expect }) => {
    const accounts = "https://control-plane.test/client/v4/accounts";
    const listed = await api<{ id: string }[]>("GET", accounts, { token: tokens.events.value });
    expect(listed.body.result.map((account) => account.id)).toEqual([ACCOUNT]);
    expect(errorOf(await api("GET", accounts, { token: null }))).toMatchObject({ status: 401, code: 10000 });
  });
});
