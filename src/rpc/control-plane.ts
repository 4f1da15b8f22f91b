import { WorkerEntrypoint } from "cloudflare:workers";
import type { z } from "@hono/zod-openapi";
import type { Principal } from "../access/principal";
import type { BulkJobView } from "../domain/bulk";
import type { LogStep } from "../domain/journal";
import { listPage } from "../lib/envelope";
import { ApiError, callerErrorOf, ERRORS } from "../lib/errors";
import { readStoredJson } from "../lib/json";
import { parseInput } from "../lib/validation";
import { BulkBody, BulkJobQuery, bulkRequestOf, ResultsQuery } from "../schemas/bulk";
import {
  BatchDeleteBody,
  batchInputsOf,
  CountsQuery,
  CreateBatchBody,
  CreateInstanceBody,
  CreateInstancesBody,
  countsOptionsOf,
  InstanceListQuery,
  InstanceQuery,
  listOptionsOf,
  StatusChangeBody,
  StepQuery,
  SubscribeQuery,
} from "../schemas/instances";
import { LabelsPatchBody } from "../schemas/labels";
import { EventType, InstanceId, JsonPayload, WorkflowName } from "../schemas/params";
import { SettingsPatchBody } from "../schemas/settings";
import { VersionQuery } from "../schemas/versions";
import { WorkflowDefinitionBody, WorkflowQuery } from "../schemas/workflows";
import { AUDITED, type FactsOf } from "../services/audit/operations";
import { recordAudit } from "../services/audit/trail";
import * as bulk from "../services/bulk/jobs";
import { type BulkPreview, previewBulkJob } from "../services/bulk/preview";
import { readyDeps } from "../services/deployment";
import type { Deps } from "../services/deps";
import * as instances from "../services/instances";
import { countInstances } from "../services/instances/counts";
import { openEventStream } from "../services/instances/event-stream";
import { patchLabels } from "../services/instances/labels";
import { getSettings, updateSettings } from "../services/retention/settings";
import * as versions from "../services/versions";
import * as workflows from "../services/workflows";
import { ControlPlaneError } from "./errors";
import { EventSubscription } from "./event-subscription";

/** What a consumer's binding may say about itself: `props = { caller = "order-service" }`. */
export type CallerProps = { caller?: string };

/** Steps an RPC read of an instance returns at most; REST streams any number. */
const MAX_RPC_STEPS = 10_000;

/**
 * The control plane over service bindings: the REST API's operations, on the same services
 * and with the same validation, for other Workers. Bind it with
 * `[[services]] binding = "CONTROL_PLANE", service = "workflow-control-plane", entrypoint = "ControlPlane"`
 * (`props = { caller = "…" }` names you in the audit trail) and type it as
 * `Service<ControlPlane>` from "workflow-control-plane/rpc".
 *
 * Results are what the REST API returns in `result` (lists: `{ result, result_info }`).
 * Failures throw an Error carrying the REST error's code and message: read them with
 * `ControlPlaneError.from(error)`. Only the methods below can be called: internals are `#private`.
 */
export class ControlPlane extends WorkerEntrypoint<Env, CallerProps> {
  // ------------------------------------------------------------------ workflows and versions

  async listWorkflows(query: z.input<typeof WorkflowQuery> = {}) {
    return this.#call((deps) => {
      const valid = parseInput(WorkflowQuery, query, "query");
      return listPage(valid, (page) => workflows.listWorkflows(deps, { ...page, search: valid.search }));
    });
  }

  async getWorkflow(workflowName: string) {
    return this.#call((deps) => workflows.getWorkflow(deps, this.#workflow(workflowName)));
  }

  async putWorkflow(workflowName: string, definition: z.input<typeof WorkflowDefinitionBody>) {
    return this.#audited(AUDITED.putWorkflow(workflowName), (deps) => {
      const { schedules: _none, ...body } = parseInput(WorkflowDefinitionBody, definition, "body");
      return workflows.putWorkflow(deps, this.#workflow(workflowName), body);
    });
  }

  async deleteWorkflow(workflowName: string) {
    return this.#audited(AUDITED.deleteWorkflow(workflowName), async (deps) => {
      await workflows.deleteWorkflow(deps, this.#workflow(workflowName));
      return { status: "ok" as const, success: true };
    });
  }

  /** The account's settings: Cloudflare's `default_retention`, and this control plane's own retention. */
  async getSettings() {
    return this.#call((deps) => getSettings(deps.db));
  }

  /** Changes the settings present in `patch` (durations or milliseconds). */
  async updateSettings(patch: z.input<typeof SettingsPatchBody>) {
    return this.#audited(AUDITED.updateSettings(patch), (deps) =>
      updateSettings(deps.db, parseInput(SettingsPatchBody, patch, "body")),
    );
  }

  async listVersions(workflowName: string, query: z.input<typeof VersionQuery> = {}) {
    return this.#call((deps) =>
      listPage(parseInput(VersionQuery, query, "query"), (page) =>
        versions.listVersions(deps, this.#workflow(workflowName), page),
      ),
    );
  }

  async getVersion(workflowName: string, versionId: string) {
    return this.#call((deps) => versions.getVersion(deps, this.#workflow(workflowName), versionId));
  }

  // ------------------------------------------------------------------ instances

  async listInstances(workflowName: string, query: z.input<typeof InstanceListQuery> = {}) {
    return this.#call((deps) =>
      instances.listInstances(
        deps,
        this.#workflow(workflowName),
        listOptionsOf(parseInput(InstanceListQuery, query, "query")),
      ),
    );
  }

  async createInstance(workflowName: string, body: z.input<typeof CreateInstanceBody> = {}) {
    return this.#audited(AUDITED.createInstance(workflowName, body.instance_id), (deps) =>
      instances.createInstance(deps, this.#workflow(workflowName), parseInput(CreateInstanceBody, body, "body")),
    );
  }

  async createInstances(workflowName: string, bodies: z.input<typeof CreateInstanceBody>[]) {
    return this.#audited(AUDITED.createInstances(workflowName), (deps) =>
      instances.createInstances(deps, this.#workflow(workflowName), parseInput(CreateInstancesBody, bodies, "body")),
    );
  }

  /**
   * The object form of the binding's `createBatch`: `{ instances: [...] }` or `{ count, params }`;
   * answers `{ created, errors }`, with an error (10405, 10415) for each item not created.
   */
  async createBatch(workflowName: string, batch: z.input<typeof CreateBatchBody>) {
    return this.#audited(AUDITED.createInstances(workflowName), (deps) =>
      instances.createInstanceBatch(
        deps,
        this.#workflow(workflowName),
        batchInputsOf(parseInput(CreateBatchBody, batch, "body")),
      ),
    );
  }

  /** The instance with its steps (up to 10,000, in the order asked for). */
  async getInstance(workflowName: string, instanceId: string, options: z.input<typeof InstanceQuery> = {}) {
    return this.#call(async (deps) => {
      const { order, simple } = parseInput(InstanceQuery, options, "query");
      const { details, steps } = await instances.getInstance(
        deps,
        this.#workflow(workflowName),
        this.#instance(instanceId),
      );
      const log = simple === "true" ? "[]" : (await steps({ order, offset: 0, limit: MAX_RPC_STEPS })).json;
      return { ...details, steps: readStoredJson<LogStep[]>(log) };
    });
  }

  /**
   * The instance's event stream, as `GET …/subscribe` serves it: retained events after `cursor`,
   * then live ones, only the `filter`'s types, `{ done: true }` after the end. `using` it
   * disposes it.
   */
  async subscribe(workflowName: string, instanceId: string, options: { cursor?: number; filter?: string[] } = {}) {
    return this.#call(async (deps) => {
      const { cursor, filter } = parseInput(SubscribeQuery, options, "query");
      const stream = await openEventStream(deps, this.#workflow(workflowName), this.#instance(instanceId), {
        cursor,
        filter,
      });
      return new EventSubscription(stream);
    });
  }

  async getInstanceStep(workflowName: string, instanceId: string, query: z.input<typeof StepQuery>) {
    return this.#call((deps) =>
      instances.getInstanceStep(
        deps,
        this.#workflow(workflowName),
        this.#instance(instanceId),
        parseInput(StepQuery, query, "query"),
      ),
    );
  }

  async changeInstanceStatus(workflowName: string, instanceId: string, change: z.input<typeof StatusChangeBody>) {
    return this.#audited(AUDITED.changeInstanceStatus(workflowName, instanceId, change), (deps) => {
      const { reason: _reason, ...valid } = parseInput(StatusChangeBody, change, "body");
      return instances.changeInstanceStatus(deps, this.#workflow(workflowName), this.#instance(instanceId), valid);
    });
  }

  async sendEvent(workflowName: string, instanceId: string, eventType: string, payload?: unknown) {
    return this.#audited(AUDITED.sendEvent(workflowName, instanceId, eventType), (deps) =>
      instances.sendInstanceEvent(deps, this.#workflow(workflowName), this.#instance(instanceId), {
        type: parseInput(EventType, eventType, "path.event_type"),
        payload: parseInput(JsonPayload, payload, "body"),
      }),
    );
  }

  async deleteInstance(workflowName: string, instanceId: string) {
    return this.#audited(AUDITED.deleteInstance(workflowName, instanceId), (deps) =>
      instances.deleteInstance(deps, this.#workflow(workflowName), this.#instance(instanceId)),
    );
  }

  async deleteInstances(workflowName: string, instanceIds: string[]) {
    return this.#audited(AUDITED.deleteInstances(workflowName), (deps) =>
      instances.deleteInstances(
        deps,
        this.#workflow(workflowName),
        parseInput(BatchDeleteBody, { instances: instanceIds }, "body").instances,
      ),
    );
  }

  // ------------------------------------------------------------------ labels

  /** Sets and removes labels of an instance: `{ set: { tenant: "acme" }, remove: ["draft"] }`. */
  async patchLabels(workflowName: string, instanceId: string, change: z.input<typeof LabelsPatchBody>) {
    return this.#audited(AUDITED.patchLabels(workflowName, instanceId, change), (deps) =>
      patchLabels(
        deps,
        this.#workflow(workflowName),
        this.#instance(instanceId),
        parseInput(LabelsPatchBody, change, "body"),
      ),
    );
  }

  /** Exact counts grouped by status, version or labels: `{ group_by: "label:tenant", labels: "region=eu" }`. */
  async countInstances(workflowName: string, query: z.input<typeof CountsQuery>) {
    return this.#call((deps) => {
      return countInstances(
        deps,
        this.#workflow(workflowName),
        countsOptionsOf(parseInput(CountsQuery, query, "query")),
      );
    });
  }

  // ------------------------------------------------------------------ bulk jobs

  async createBulkJob(
    workflowName: string,
    request: z.input<typeof BulkBody>,
    options: { idempotencyKey?: string } = {},
  ): Promise<BulkJobView> {
    const created = await this.#audited(AUDITED.createBulkJob(workflowName, request), (deps) => {
      const body = parseInput(BulkBody, request, "body");
      if (body.dry_run) throw new ApiError("invalidRequest", "body: dry_run: call previewBulkJob for a dry run");
      return bulk.createBulkJob(deps, this.#workflow(workflowName), bulkRequestOf(body), {
        kind: "bulk",
        idempotencyKey: options.idempotencyKey,
      });
    });
    return created.job;
  }

  /** What `createBulkJob` would do with `request`, doing nothing: the REST `dry_run`. */
  async previewBulkJob(workflowName: string, request: z.input<typeof BulkBody>): Promise<BulkPreview> {
    return this.#call((deps) =>
      previewBulkJob(deps, this.#workflow(workflowName), bulkRequestOf(parseInput(BulkBody, request, "body"))),
    );
  }

  async getBulkJob(workflowName: string, jobId: string) {
    return this.#call((deps) => bulk.getBulkJob(deps, this.#workflow(workflowName), jobId));
  }

  async listBulkJobs(workflowName: string, query: z.input<typeof BulkJobQuery> = {}) {
    return this.#call((deps) =>
      listPage(parseInput(BulkJobQuery, query, "query"), (page) =>
        bulk.listBulkJobs(deps, this.#workflow(workflowName), page),
      ),
    );
  }

  async bulkJobResults(workflowName: string, jobId: string, query: z.input<typeof ResultsQuery> = {}) {
    return this.#call((deps) => {
      const { outcome, cursor, per_page } = parseInput(ResultsQuery, query, "query");
      return bulk.bulkJobResults(deps, this.#workflow(workflowName), jobId, { outcome, cursor, perPage: per_page });
    });
  }

  async cancelBulkJob(workflowName: string, jobId: string) {
    return this.#audited(AUDITED.cancelBulkJob(workflowName, jobId), (deps) =>
      bulk.cancelBulkJob(deps, this.#workflow(workflowName), jobId),
    );
  }

  // ------------------------------------------------------------------ tracking

  /**
   * Says that an instance just changed (`TrackedWorkflow` calls this at each step): its journal
   * syncs with the engine soon, which makes lists follow within moments. A name that is not a
   * valid workflow and instance is refused.
   */
  async nudge(workflowName: string, instanceId: string): Promise<void> {
    return this.#call(async (deps) => {
      const target = { workflowName: this.#workflow(workflowName), instanceId: this.#instance(instanceId) };
      if (deps.engines.bindingFor(target.workflowName))
        await deps.journal(target.workflowName, target.instanceId).kick(target);
    });
  }

  // ------------------------------------------------------------------ internals

  #caller(): Principal {
    const caller = this.ctx.props?.caller ?? "unnamed";
    return { kind: "rpc", id: `rpc:${caller}`, name: caller };
  }

  #workflow(name: string): string {
    return parseInput(WorkflowName, name, "path.workflow_name");
  }

  #instance(id: string): string {
    return parseInput(InstanceId, id, "path.instance_id");
  }

  /** Runs an operation, turning an API error into one that carries its code across RPC. */
  async #call<T>(operation: (deps: Deps) => Promise<T>): Promise<T> {
    try {
      return await operation(await readyDeps(this.env, this.ctx));
    } catch (error) {
      const known = callerErrorOf(error);
      throw known ? ControlPlaneError.encode(known.code, known.message) : error;
    }
  }

  /** A mutating operation: like #call, and recorded in the audit trail either way, as REST records it. */
  async #audited<T>(facts: FactsOf<T>, operation: (deps: Deps) => Promise<T>): Promise<T> {
    const caller = { actor: this.#caller(), requestId: crypto.randomUUID() };
    return this.#call(async (deps) => {
      try {
        const result = await operation(deps);
        const { status = 200, ...recorded } = facts(result);
        deps.defer(recordAudit(deps.db, { ...recorded, ...caller, status }));
        return result;
      } catch (error) {
        const known = callerErrorOf(error);
        const { status: _success, ...recorded } = facts();
        deps.defer(
          recordAudit(deps.db, {
            ...recorded,
            ...caller,
            status: known?.status ?? ERRORS.internal.status,
            errorCode: known?.code ?? ERRORS.internal.code,
          }),
        );
        throw error;
      }
    });
  }
}
