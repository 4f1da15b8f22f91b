import { env, exports } from "cloudflare:workers";
import type { InstanceStatus } from "../../src/domain/instance-status";
import type { Message, ResultInfo } from "../../src/lib/envelope";

export const ACCOUNT = env.ACCOUNT_ID;
export const BASE = `https://control-plane.test/client/v4/accounts/${ACCOUNT}`;
export const TOKEN = "test-admin-token";

export type Envelope<T> = {
  success: boolean;
  errors: Message[];
  messages: Message[];
  result: T;
  result_info?: ResultInfo;
};

export type ApiResponse<T> = { status: number; body: Envelope<T>; headers: Headers };

/** Calls the Worker as a client would, with the admin token unless told otherwise. */
export async function api<T = unknown>(
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string>; token?: string | null } = {},
): Promise<ApiResponse<T>> {
  const headers = new Headers(options.headers);
  // Each call comes from an address of its own, as from many clients: requests without a valid
  // token are limited per address, and only test/routes/rate-limit.test.ts tries that limit.
  if (!headers.has("CF-Connecting-IP")) headers.set("CF-Connecting-IP", randomTestAddress());
  if (options.token !== null) headers.set("Authorization", `Bearer ${options.token ?? TOKEN}`);
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
  }
  if (body !== undefined && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  const url = path.startsWith("http") ? path : `${BASE}${path}`;
  const response = await exports.default.fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed: Envelope<T>;
  try {
    parsed = JSON.parse(text) as Envelope<T>;
  } catch {
    throw new Error(
      `${method} ${path} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`,
    );
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** An output as Cloudflare's API sends it in an instance read (JSON text), parsed. */
/** An address of 2001:db8::/32, the range IPv6 reserves for documentation and tests. */
function randomTestAddress(): string {
  const groups = Array.from(crypto.getRandomValues(new Uint16Array(6)), (group) => group.toString(16));
  return `2001:db8:${groups.join(":")}`;
}

export function parsed(text: unknown): unknown {
  if (typeof text !== "string") throw new Error(`expected an output as JSON text, got ${JSON.stringify(text)}`);
  return JSON.parse(text);
}

/** A unique, valid id for this test run. */
export function uniqueId(prefix = "t"): string {
  return `${prefix}-${crypto.randomUUID()}`;
}

export type InstanceCreated = { id: string; status: string; version_id: string; workflow_id: string };

export async function createInstance(workflow: string, body: Record<string, unknown> = {}) {
  const response = await api<InstanceCreated>("POST", `/workflows/${workflow}/instances`, { body });
  if (response.status !== 200) throw new Error(`create failed: ${JSON.stringify(response.body)}`);
  return response.body.result;
}

/** Defines a workflow through the API; it has no binding unless its name is a deployed one. */
export async function putWorkflow(name: string, body: Record<string, unknown> = {}) {
  const response = await api<{ id: string; version_id: string }>("PUT", `/workflows/${name}`, {
    body: { class_name: "SomeWorkflow", script_name: "some-worker", ...body },
  });
  if (response.status !== 200) throw new Error(`put failed: ${JSON.stringify(response.body)}`);
  return response.body.result;
}

/** A workflow's instance counts by status, as GET /workflows/:name reports them. */
export async function counts(workflow: string): Promise<Record<InstanceStatus, number>> {
  const response = await api<{ instances: Record<InstanceStatus, number> }>("GET", `/workflows/${workflow}`);
  return response.body.result.instances;
}

export type MintedToken = { id: string; name: string; status: string; value: string; permissions: string[] };

/** Creates an API token through the API; the answer is the only one that shows its secret. */
export async function mintToken(body: Record<string, unknown>): Promise<MintedToken> {
  const response = await api<MintedToken>("POST", "/tokens", { body });
  if (response.status !== 200) throw new Error(JSON.stringify(response.body));
  return response.body.result;
}

export type AuditRecord = {
  id: number;
  actor: { type: string; id: string; name: string };
  action: string;
  workflow_name: string | null;
  instance_id: string | null;
  request_id: string;
  outcome: string;
  status: number;
  error_code: number | null;
  reason: string | null;
  detail: Record<string, unknown> | null;
};

/** Up to 100 audit records, newest first, filtered by `query`. */
export async function audit(query: string): Promise<AuditRecord[]> {
  return (await api<AuditRecord[]>("GET", `/audit?per_page=100&${query}`)).body.result;
}

/** One sweep, now: the journals of unfinished instances sync with the engine, and the index follows. */
export async function sweep() {
  return env.INSTANCE_SWEEPER.getByName("sweeper").sweep();
}

/** Asserts an error envelope and returns its first error. */
export function errorOf(response: ApiResponse<unknown>) {
  if (response.body.success !== false || response.body.result !== null || response.body.errors.length === 0) {
    throw new Error(`expected an error envelope, got ${response.status} ${JSON.stringify(response.body)}`);
  }
  const [first] = response.body.errors;
  return { status: response.status, code: first?.code, message: first?.message ?? "" };
}
