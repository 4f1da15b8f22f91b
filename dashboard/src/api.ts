/**
 * The dashboard's only way to the data: the public REST API, with the signed-in token. The
 * types describe the wire, as the OpenAPI document defines it, not the Worker's internals: the
 * dashboard is a client like any other (the Worker's modules need Workers types a browser build
 * does not have). Only the status and trigger vocabularies, plain constants, are shared, and
 * test/dashboard/wire-types.ts makes the type check fail when the Worker's types stop fitting these.
 */

import type { InstanceStatus, StatusAction, TriggerSource } from "../../src/domain/instance-status";

export type { InstanceStatus, StatusAction, TriggerSource };

export type Identity = {
  id: string;
  name: string;
  admin: boolean;
  permissions: ("read" | "edit" | "events" | "metrics")[];
  workflows: string[] | null;
  event_types: string[] | null;
};

export type Workflow = {
  id: string;
  name: string;
  class_name: string;
  script_name: string;
  created_on: string;
  modified_on: string;
  triggered_on: string | null;
  version_id: string;
  terminator_running: 0 | 1;
  instances: Record<InstanceStatus, number>;
};

/** One workflow as `GET /workflows/:name` answers: with what its instance index holds. */
export type WorkflowDetail = Workflow & {
  capacity: { segments: number; instances: number; bytes: number; segment_size: number };
};

export type Version = {
  id: string;
  class_name: string;
  script_name: string;
  created_on: string;
  limits?: { steps?: number | undefined };
  default_retention?: { success_retention?: number; error_retention?: number };
};

/** This control plane's extension: string pairs that say what an instance is about (tenant, order). */
export type Labels = Record<string, string>;

export type InstanceSummary = {
  id: string;
  status: InstanceStatus;
  created_on: string;
  started_on: string | null;
  ended_on: string | null;
  version_id: string;
  trigger_source: TriggerSource;
  error_name: string | null;
  labels: Labels;
};

export type ErrorDetail = { name: string; message: string };

export type Attempt = { start: string; end: string | null; success: boolean | null; error: ErrorDetail | null };

export type Step =
  | {
      /** A step.do, or a rollback handler that ran for one. */
      type: "step" | "rollback";
      name: string;
      start: string;
      end: string | null;
      success: boolean | null;
      config: { retries: { limit: number; delay: string | number; backoff?: string }; timeout: string | number };
      /** JSON text, cut short when `output_truncated` (GET …/step has it whole). */
      output: string | null;
      output_truncated?: true;
      attempts: Attempt[];
    }
  | {
      type: "sleep";
      name: string;
      start: string;
      end: string;
      finished: boolean;
      error: ErrorDetail | null;
    }
  | {
      type: "waitForEvent";
      name: string;
      start: string;
      end: string | null;
      finished: boolean;
      error: ErrorDetail | null;
      event_type?: string;
      output?: string;
      output_truncated?: true;
    }
  | { type: "termination"; trigger: { source: string } };

export type InstanceDetails = {
  status: InstanceStatus;
  params: unknown;
  trigger: { source: string };
  versionId: string;
  queued: string;
  start: string | null;
  end: string | null;
  error: ErrorDetail | null;
  /** What run() returned, as JSON text. */
  output: string | null;
  rollback: { outcome: "complete" | "failed"; error: ErrorDetail | null } | null;
  step_count: number;
  steps: Step[];
  labels: Labels;
};

/** Where a restart begins: a step by its name (without the log's counter suffix) and count. */
export type RestartPoint = { name: string; count: number; type: "do" | "sleep" | "waitForEvent" };

export type StepOutput = { status: string; error: ErrorDetail | null; output: unknown };

export type BulkAction = "pause" | "resume" | "terminate" | "restart" | "send_event" | "delete";
export type BulkPreview = {
  total: number;
  sample: { id: string; status: InstanceStatus | null; outcome: "act" | "skip"; reason?: string }[];
  would_act: number;
  would_skip: number;
  steps_estimate?: number;
  cost_estimate_usd?: number;
};

export type BulkFilter = {
  status?: InstanceStatus;
  date_start?: string;
  date_end?: string;
  version_id?: string;
  trigger_source?: string;
  error_name?: string;
  id_prefix?: string;
  /** A label selector, as the list's `labels` filter takes it. */
  labels?: string;
};

/** A job's filter as the API shows it: the one it was given, with the statuses as a list. */
export type BulkJobFilter = { [Key in Exclude<keyof BulkFilter, "status">]?: string | undefined } & {
  status?: InstanceStatus[] | undefined;
};
/** What an action takes beyond its name (terminate: rollback; restart: from; send_event: event). */
export type BulkOptions = {
  rollback?: boolean;
  from?: { name: string; count?: number };
  event?: { type: string; payload?: unknown };
};

export type BulkJob = {
  id: string;
  workflow_name: string;
  kind: string;
  action: BulkAction;
  status: "queued" | "running" | "complete" | "cancelled" | "failed";
  total: number;
  succeeded: number;
  skipped: number;
  failed: number;
  pending: number;
  created_on: string;
  started_on: string | null;
  ended_on: string | null;
  /** The selection of a job by filter; null for a job by ids. */
  filter: BulkJobFilter | null;
};

export type BulkOutcome = "succeeded" | "skipped" | "failed" | "pending";

export type BulkResult = {
  instance_id: string;
  outcome: BulkOutcome;
  reason: string | null;
  error: ErrorDetail | null;
  status_before: InstanceStatus | null;
  status_after: InstanceStatus | null;
  attempts: number;
};

/** One group of `GET …/instances/counts`: its value of each grouping (null: without the label). */
export type CountGroup = {
  key: { status?: InstanceStatus; version_id?: string; labels?: Record<string, string | null> };
  instances: Record<InstanceStatus, number>;
};

/** The width of a metrics bucket: a minute (kept 2 days), an hour (400 days) or a day (of hours). */
export type BucketSize = "1m" | "1h" | "1d";

/** What happened to a workflow's instances in one time bucket (empty buckets are zeros). */
export type MetricsBucket = {
  start: string;
  created: number;
  started: number;
  completed: number;
  errored: number;
  terminated: number;
  /** errored / (completed + errored + terminated) of the runs that ended in it; null when none did. */
  error_rate: number | null;
  /** Of the runs that ended in it, start to end, within ±4.8%; null when none did. */
  duration_ms: { p50: number | null; p95: number | null; p99: number | null };
};

/** A series: its buckets, and the whole window as one (quantiles over every run in it). */
export type MetricsSeries = { total: Omit<MetricsBucket, "start">; buckets: MetricsBucket[] };

export type Metrics = { bucket: BucketSize } & MetricsSeries;

/** `group_by=version` (or `label:KEY`): one series per version (value) that had anything in the window. */
export type VersionMetrics = {
  bucket: BucketSize;
  groups: ({ key: { version_id: string } | { labels: Record<string, string> } } & MetricsSeries)[];
};

/** A step's attempts over a window (its name without the log's counter suffix). */
export type StepMetrics = {
  step: string;
  attempts: number;
  failed_attempts: number;
  instances_failed: number;
  retry_rate: number | null;
  duration_ms: { p50: number | null; p95: number | null };
};

/** The errors of one name and message shape (ids as `<id>`, numbers as `<n>`). */
export type ErrorGroup = {
  name: string;
  message: string;
  count: number;
  first_seen: string;
  last_seen: string;
  versions: string[];
  example_instance_id: string;
};

export type WorkflowTotals = {
  workflow: string;
  created: number;
  started: number;
  completed: number;
  errored: number;
  terminated: number;
  error_rate: number | null;
  duration_p95_ms: number | null;
};

export type MetricsOverview = { since: string; until: string; workflows: WorkflowTotals[] };

/** A metrics read's window: ISO times; the API rounds them to whole buckets, `until` defaults to now. */
export type MetricsWindow = { since?: string | undefined; until?: string | undefined };

export type ResultInfo = { cursor?: string; total_count?: number; total_pages?: number; page?: number };

type Envelope<T> = {
  success: boolean;
  errors: { code: number; message: string }[];
  result: T;
  result_info?: ResultInfo;
};

/** A refusal from the API, with the code and message of its envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number | null,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

const BASE = "/client/v4";

/** A query string from defined, non-empty values. */
export function queryString(values: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== "") query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : "";
}

async function call<T>(
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ result: T; info: ResultInfo }> {
  const response = await fetch(`${BASE}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const envelope = (await response.json().catch(() => null)) as Envelope<T> | null;
  if (!response.ok || !envelope?.success) {
    const [first] = envelope?.errors ?? [];
    throw new ApiError(
      response.status,
      first?.code ?? null,
      first?.message ?? `${response.status} ${response.statusText}`,
    );
  }
  return { result: envelope.result, info: envelope.result_info ?? {} };
}

/** Checks a token and finds the account it is served: all sign-in needs. */
export async function signIn(token: string): Promise<{ identity: Identity; accountId: string }> {
  const { result: identity } = await call<Identity>(token, "GET", "/user/tokens/verify");
  const { result: accounts } = await call<{ id: string }[]>(token, "GET", "/accounts");
  const [account] = accounts;
  if (!account) throw new ApiError(200, null, "The control plane serves no account");
  return { identity, accountId: account.id };
}

const segment = encodeURIComponent;

/** The API of one account, as the signed-in token sees it. */
export class Api {
  readonly #token: string;
  readonly #account: string;
  readonly #onTokenRefused: (error: ApiError) => void;

  /** `onTokenRefused`: the token stopped working (revoked or expired) while signed in. */
  constructor(token: string, accountId: string, onTokenRefused: (error: ApiError) => void) {
    this.#token = token;
    this.#account = `/accounts/${segment(accountId)}`;
    this.#onTokenRefused = onTokenRefused;
  }

  async #call<T>(method: string, path: string, body?: unknown) {
    try {
      return await call<T>(this.#token, method, `${this.#account}${path}`, body);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) this.#onTokenRefused(error);
      throw error;
    }
  }

  #workflow(name: string) {
    return `/workflows/${segment(name)}`;
  }

  #instance(workflow: string, id: string) {
    return `${this.#workflow(workflow)}/instances/${segment(id)}`;
  }

  listWorkflows(query: { search?: string; page?: number; per_page?: number }) {
    return this.#call<Workflow[]>("GET", `/workflows${queryString(query)}`);
  }

  async getWorkflow(name: string) {
    return (await this.#call<WorkflowDetail>("GET", this.#workflow(name))).result;
  }

  async listVersions(workflow: string) {
    return (await this.#call<Version[]>("GET", `${this.#workflow(workflow)}/versions?per_page=100`)).result;
  }

  listInstances(workflow: string, query: Record<string, string | number | undefined>) {
    return this.#call<InstanceSummary[]>("GET", `${this.#workflow(workflow)}/instances${queryString(query)}`);
  }

  async getInstance(workflow: string, id: string) {
    return (await this.#call<InstanceDetails>("GET", this.#instance(workflow, id))).result;
  }

  /**
   * Where to open the instance's event stream as a WebSocket: the path, with a fresh subscribe
   * token (a browser cannot send Authorization with one); `cursor` starts after an event seen.
   */
  async eventStreamPath(workflow: string, id: string, cursor?: number): Promise<string> {
    const path = this.#instance(workflow, id);
    const { result } = await this.#call<{ token: string }>("GET", `${path}/subscribe/token`);
    return `${BASE}${this.#account}${path}/subscribe${queryString({ cursor, token: result.token })}`;
  }

  async getStepOutput(workflow: string, id: string, step: { name: string; type: "step" | "waitForEvent" }) {
    const path = `${this.#instance(workflow, id)}/step${queryString(step)}`;
    return (await this.#call<StepOutput>("GET", path)).result;
  }

  async createInstance(workflow: string, body: { instance_id?: string; params?: unknown }) {
    return (await this.#call<{ id: string }>("POST", `${this.#workflow(workflow)}/instances`, body)).result;
  }

  async changeStatus(
    workflow: string,
    id: string,
    change: { status: StatusAction; reason?: string; from?: RestartPoint },
  ) {
    return (await this.#call<{ status: InstanceStatus }>("PATCH", `${this.#instance(workflow, id)}/status`, change))
      .result;
  }

  /** Sets and removes labels in one change; answers the labels the instance has after it. */
  async patchLabels(workflow: string, id: string, change: { set?: Labels; remove?: string[] }) {
    return (await this.#call<{ id: string; labels: Labels }>("PATCH", `${this.#instance(workflow, id)}/labels`, change))
      .result;
  }

  /** Exact counts per status of each group (`group_by`: status, version, label:KEY), largest first. */
  async countInstances(workflow: string, query: { group_by: string } & Record<string, string | undefined>) {
    const path = `${this.#workflow(workflow)}/instances/counts${queryString(query)}`;
    return (await this.#call<{ source: "counts" | "scan"; groups: CountGroup[] }>("GET", path)).result;
  }

  async sendEvent(workflow: string, id: string, type: string, payload: unknown) {
    await this.#call("POST", `${this.#instance(workflow, id)}/events/${segment(type)}`, payload);
  }

  /** What a bulk job would do, doing nothing (`dry_run`). */
  async previewBulkJob(
    workflow: string,
    request: { action: BulkAction } & BulkOptions & ({ instance_ids: string[] } | { filter: BulkFilter }),
  ) {
    return (
      await this.#call<BulkPreview>("POST", `${this.#workflow(workflow)}/instances/bulk`, { ...request, dry_run: true })
    ).result;
  }

  async startBulkJob(
    workflow: string,
    request: { action: BulkAction; reason?: string } & BulkOptions &
      ({ instance_ids: string[] } | { filter: BulkFilter }),
  ) {
    return (await this.#call<BulkJob>("POST", `${this.#workflow(workflow)}/instances/bulk`, request)).result;
  }

  async listBulkJobs(workflow: string) {
    return (await this.#call<BulkJob[]>("GET", `${this.#workflow(workflow)}/bulk?per_page=50`)).result;
  }

  async getBulkJob(workflow: string, jobId: string) {
    return (await this.#call<BulkJob>("GET", `${this.#workflow(workflow)}/bulk/${segment(jobId)}`)).result;
  }

  bulkResults(workflow: string, jobId: string, query: { outcome?: BulkOutcome; cursor?: string }) {
    const path = `${this.#workflow(workflow)}/bulk/${segment(jobId)}/results${queryString({ ...query, per_page: 100 })}`;
    return this.#call<BulkResult[]>("GET", path);
  }

  async getMetrics(workflow: string, query: MetricsWindow & { bucket: BucketSize }) {
    return (await this.#call<Metrics>("GET", `${this.#workflow(workflow)}/metrics${queryString(query)}`)).result;
  }

  async getMetricsByVersion(workflow: string, query: MetricsWindow & { bucket: BucketSize }) {
    const path = `${this.#workflow(workflow)}/metrics${queryString({ ...query, group_by: "version" })}`;
    return (await this.#call<VersionMetrics>("GET", path)).result;
  }

  /** The most frequent errors in the window (hour by hour), most frequent first. */
  /** Per step: attempts, failures, retry rate, runs it ended, attempt durations; the failing first. */
  async stepMetrics(workflow: string, query: MetricsWindow & { bucket: BucketSize }) {
    const path = `${this.#workflow(workflow)}/metrics/steps${queryString(query)}`;
    return (await this.#call<{ bucket: BucketSize; steps: StepMetrics[] }>("GET", path)).result;
  }

  async topErrors(workflow: string, query: MetricsWindow & { limit?: number }) {
    const path = `${this.#workflow(workflow)}/metrics/errors${queryString(query)}`;
    return (await this.#call<ErrorGroup[]>("GET", path)).result;
  }

  /** Every workflow's totals over the window (the last 24 hours by default). */
  async metricsOverview(query: MetricsWindow = {}) {
    return (await this.#call<MetricsOverview>("GET", `/metrics/overview${queryString(query)}`)).result;
  }

  async cancelBulkJob(workflow: string, jobId: string) {
    return (await this.#call<BulkJob>("POST", `${this.#workflow(workflow)}/bulk/${segment(jobId)}/cancel`)).result;
  }
}
