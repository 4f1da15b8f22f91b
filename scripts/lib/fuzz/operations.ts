/**
 * Every operation the fuzz knows how to call validly, keyed "METHOD /path" as the OpenAPI
 * document names it. The run starts by comparing this table with the document the Worker
 * serves, and refuses to run when either has an operation the other lacks: a new route cannot
 * go unfuzzed, and a removed one cannot linger here.
 */
import type { Call } from "./client.ts";

export type Fixtures = {
  accountId: string;
  /** order-approval instances the random traffic may pause, terminate, label, restart … but not delete. */
  live: string[];
  /** order-approval instances the random traffic may delete. */
  disposable: string[];
  /** order-approval instances only refused requests reach: they must keep their labels and exist at the end. */
  kept: string[];
  /** hello-world (the guarded workflow) instances: only refused requests reach them. */
  guarded: string[];
  versionId: string;
  guardedJobId: string;
  guardedTokenId: string;
  readToken: string;
  eventsToken: string;
  /** Grown as the run creates them. */
  jobIds: string[];
  tokenIds: string[];
};

export type Pick = <T>(items: readonly T[]) => T;

export type OperationSpec = {
  /** Whether a successful call changes something (so a read-only token must be refused). */
  mutates: boolean;
  /** A valid call for the random traffic; it never names the guarded workflow or the kept instances. */
  valid: (fixtures: Fixtures, pick: Pick) => Call;
};

export const LIVE_WORKFLOW = "order-approval";
export const GUARDED_WORKFLOW = "hello-world";
/** Workflows the random traffic creates, changes and deletes through PUT and DELETE. */
export const SCRATCH_WORKFLOWS = ["fuzz-wf-0", "fuzz-wf-1", "fuzz-wf-2"];

const ACCOUNT = "/client/v4/accounts/{account_id}";
const WORKFLOW = `${ACCOUNT}/workflows/{workflow_name}`;
const INSTANCES = `${WORKFLOW}/instances`;
const INSTANCE = `${INSTANCES}/{instance_id}`;

const live = { workflow_name: LIVE_WORKFLOW };
const read = (call: Call = {}): OperationSpec => ({ mutates: false, valid: () => call });
const onInstance = (f: Fixtures, pick: Pick) => ({ ...live, instance_id: pick(f.live) });
let created = 0;
/** Ids of instances the random traffic creates: `fz-N`, never one of the fixtures'. */
const newId = () => `fz-${++created}`;

export const OPERATIONS: Record<string, OperationSpec> = {
  "GET /client/v4/accounts": read(),
  [`GET ${ACCOUNT}/audit`]: read({ query: { per_page: "20", workflow: LIVE_WORKFLOW } }),
  "GET /client/v4/user/tokens/verify": read(),
  [`GET ${ACCOUNT}/tokens/verify`]: read(),
  [`POST ${ACCOUNT}/tokens`]: {
    mutates: true,
    valid: (_f, pick) => ({ body: { name: "fuzz", permissions: [pick(["read", "edit", "events", "metrics"])] } }),
  },
  [`GET ${ACCOUNT}/tokens`]: read({ query: { per_page: "5" } }),
  [`GET ${ACCOUNT}/tokens/{token_id}`]: {
    mutates: false,
    valid: (f, pick) => ({ params: { token_id: pick([f.guardedTokenId, ...f.tokenIds]) } }),
  },
  [`DELETE ${ACCOUNT}/tokens/{token_id}`]: {
    mutates: true,
    // Only tokens the random traffic made: the guarded and the scoped ones must stay.
    valid: (f, pick) => ({ params: { token_id: f.tokenIds.length > 0 ? pick(f.tokenIds) : "0".repeat(32) } }),
  },
  [`GET ${ACCOUNT}/workflows/settings`]: read(),
  [`PATCH ${ACCOUNT}/workflows/settings`]: {
    mutates: true,
    valid: (_f, pick) => ({ body: { audit_retention: pick(["30 days", "31 days"]) } }),
  },
  [`GET ${ACCOUNT}/metrics`]: read({ headers: { Accept: "application/openmetrics-text" } }),
  [`GET ${ACCOUNT}/metrics/overview`]: read(),
  [`GET ${WORKFLOW}/metrics`]: read({ params: live, query: { bucket: "1m" } }),
  [`GET ${WORKFLOW}/metrics/steps`]: read({ params: live }),
  [`GET ${WORKFLOW}/metrics/errors`]: read({ params: live }),
  [`GET ${ACCOUNT}/workflows`]: read(),
  [`GET ${WORKFLOW}`]: read({ params: live }),
  [`PUT ${WORKFLOW}`]: {
    mutates: true,
    valid: (_f, pick) => ({
      params: { workflow_name: pick(SCRATCH_WORKFLOWS) },
      body: { class_name: pick(["Fuzz", "Fuzz2"]), script_name: "fuzz" },
    }),
  },
  [`DELETE ${WORKFLOW}`]: {
    mutates: true,
    valid: (_f, pick) => ({ params: { workflow_name: pick(SCRATCH_WORKFLOWS) } }),
  },
  [`GET ${WORKFLOW}/versions`]: read({ params: live }),
  [`GET ${WORKFLOW}/versions/{version_id}`]: {
    mutates: false,
    valid: (f) => ({ params: { ...live, version_id: f.versionId } }),
  },
  [`GET ${WORKFLOW}/versions/{version_id}/graph`]: {
    mutates: false,
    valid: (f) => ({ params: { ...live, version_id: f.versionId } }),
  },
  [`GET ${WORKFLOW}/versions/{version_id}/dag`]: {
    mutates: false,
    valid: (f) => ({ params: { ...live, version_id: f.versionId } }),
  },
  [`GET ${INSTANCES}`]: read({ params: live, query: { id_prefix: "fuzz-", per_page: "10" } }),
  [`POST ${INSTANCES}`]: {
    mutates: true,
    valid: () => ({ params: live, body: { instance_id: newId(), params: { orderId: "o", amount: 1 } } }),
  },
  [`POST ${INSTANCES}/batch`]: {
    mutates: true,
    valid: (_f, pick) => ({
      params: live,
      body: pick([
        [{ instance_id: newId(), params: { orderId: "o", amount: 1 } }],
        { count: 2, params: { orderId: "o", amount: 1 } },
      ]),
    }),
  },
  [`POST ${INSTANCES}/batch/delete`]: {
    mutates: true,
    valid: (f, pick) => ({ params: live, body: { instances: [pick(f.disposable), pick(f.disposable)] } }),
  },
  [`GET ${INSTANCE}`]: { mutates: false, valid: (f, pick) => ({ params: onInstance(f, pick) }) },
  [`GET ${INSTANCE}/step`]: {
    mutates: false,
    valid: (f, pick) => ({ params: onInstance(f, pick), query: { name: "validate order-1", type: "step" } }),
  },
  [`PATCH ${INSTANCE}/status`]: {
    mutates: true,
    valid: (f, pick) => ({
      params: onInstance(f, pick),
      body: { status: pick(["pause", "resume", "terminate", "restart"]) },
    }),
  },
  [`POST ${INSTANCE}/events/{event_type}`]: {
    mutates: true,
    valid: (f, pick) => ({
      params: { ...onInstance(f, pick), event_type: pick(["approval", "other"]) },
      body: { approved: true },
    }),
  },
  [`DELETE ${INSTANCE}`]: {
    mutates: true,
    valid: (f, pick) => ({ params: { ...live, instance_id: pick(f.disposable) } }),
  },
  [`GET ${INSTANCES}/counts`]: read({ params: live, query: { group_by: "status,label:kind" } }),
  [`PATCH ${INSTANCES}/{instance_id}/labels`]: {
    mutates: true,
    valid: (f, pick) => ({
      params: onInstance(f, pick),
      body: pick([{ set: { kind: "fuzzed" } }, { remove: ["tier"] }]),
    }),
  },
  [`GET ${INSTANCE}/subscribe`]: {
    mutates: false,
    // Without Upgrade: refused; the scenarios open real WebSockets.
    valid: (f, pick) => ({ params: onInstance(f, pick) }),
  },
  [`GET ${INSTANCE}/subscribe/token`]: { mutates: false, valid: (f, pick) => ({ params: onInstance(f, pick) }) },
  [`POST ${INSTANCES}/bulk`]: {
    mutates: true,
    valid: (f, pick) => ({
      params: live,
      body: pick([
        { action: pick(["pause", "resume", "terminate", "restart"]), instance_ids: [pick(f.live), pick(f.live)] },
        { action: "pause", filter: { id_prefix: "fuzz-" }, dry_run: true },
        {
          action: "send_event",
          filter: { id_prefix: "fuzz-" },
          event: { type: "approval", payload: { approved: false } },
        },
        { action: "delete", instance_ids: [pick(f.disposable)] },
      ]),
    }),
  },
  [`POST ${INSTANCES}/batch/terminate`]: {
    mutates: true,
    valid: (f, pick) => ({ params: live, raw: JSON.stringify([pick(f.live)]) }),
  },
  [`PUT ${INSTANCES}/terminate`]: { mutates: true, valid: () => ({ params: live, query: { status: "paused" } }) },
  [`GET ${INSTANCES}/terminate`]: read({ params: live }),
  [`GET ${WORKFLOW}/bulk`]: read({ params: live }),
  [`GET ${WORKFLOW}/bulk/{job_id}`]: {
    mutates: false,
    valid: (f, pick) => ({ params: { ...live, job_id: f.jobIds.length > 0 ? pick(f.jobIds) : crypto.randomUUID() } }),
  },
  [`GET ${WORKFLOW}/bulk/{job_id}/results`]: {
    mutates: false,
    valid: (f, pick) => ({ params: { ...live, job_id: f.jobIds.length > 0 ? pick(f.jobIds) : crypto.randomUUID() } }),
  },
  [`POST ${WORKFLOW}/bulk/{job_id}/cancel`]: {
    mutates: true,
    valid: (f, pick) => ({ params: { ...live, job_id: f.jobIds.length > 0 ? pick(f.jobIds) : crypto.randomUUID() } }),
  },
};

type Document = { paths: Record<string, Record<string, unknown>> };

export type DocumentOperation = {
  key: string;
  method: string;
  path: string;
  parameters: { name: string; in: string; schema?: { enum?: string[] } }[];
  hasBody: boolean;
};

/** The document's operations; throws, naming them, when the table above and the document differ. */
export function operationsOf(document: Document): DocumentOperation[] {
  const methods = new Set(["get", "put", "post", "patch", "delete", "head", "options"]);
  const operations = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => methods.has(method))
      .map(([method, operation]) => {
        const { parameters, requestBody } = operation as {
          parameters?: DocumentOperation["parameters"];
          requestBody?: unknown;
        };
        const upper = method.toUpperCase();
        return {
          key: `${upper} ${path}`,
          method: upper,
          path,
          parameters: parameters ?? [],
          hasBody: requestBody !== undefined,
        };
      }),
  );
  const documented = new Set(operations.map((operation) => operation.key));
  const missing = [...documented].filter((key) => !(key in OPERATIONS));
  const stale = Object.keys(OPERATIONS).filter((key) => !documented.has(key));
  if (missing.length > 0 || stale.length > 0) {
    throw new Error(
      [
        "the fuzz's operations differ from the OpenAPI document:",
        ...missing.map((key) => `  in the document, not fuzzed: ${key}`),
        ...stale.map((key) => `  fuzzed, not in the document: ${key}`),
        "add each to OPERATIONS in scripts/lib/fuzz/operations.ts (and a scenario in scenarios.ts).",
      ].join("\n"),
    );
  }
  return operations;
}
