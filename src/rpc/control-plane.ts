import { WorkerEntrypoint } from "cloudflare:workers";
import type { z } from "@hono/zod-openapi";
import type { Principal } from "../access/principal";
import type { BulkJobView } from "../durable-objects/bulk-job";
import { journalOf } from "../durable-objects/instance-journal";
import type { LogStep } from "../durable-objects/journal-log";
import { pageInfo } from "../lib/envelope";
import { ApiError, ERRORS } from "../lib/errors";
import { parseInput } from "../lib/validation";
import { BulkBody, bulkRequestOf, ResultsQuery } from "../routes/bulk";
import {
  BatchDeleteBody,
  CreateInstanceBody,
  InstanceListQuery,
  InstanceQuery,
  listOptionsOf,
  StatusChangeBody,
  StepQuery,
} from "../routes/instances";
import { EventType, InstanceId, JsonPayload, pageQuery, WorkflowName } from "../routes/params";
import { WorkflowDefinitionBody, WorkflowQuery } from "../routes/workflows";
import { recordAudit } from "../services/audit";
import { bulkJobResults, cancelBulkJob, createBulkJob, getBulkJob, listBulkJobs } from "../services/bulk/jobs";
import { readyDeps } from "../services/deployment";
import type { Deps } from "../services/deps";
import {
  changeInstanceStatus,
  createInstance,
  createInstances,
  deleteInstance,
  deleteInstances,
  getInstance,
  getInstanceStep,
  listInstances,
  sendInstanceEvent,
} from "../services/instances";
import { getVersion, listVersions } from "../services/versions";
import { deleteWorkflow, getWorkflow, listWorkflows, putWorkflow } from "../services/workflows";
import type { InstanceReport } from "../tracking/events";
import { ControlPlaneError } from "./errors";

/** What a consumer's binding may say about itself: `props = { caller = "order-service" }`. */
export type CallerProps = { caller?: string };

/** More events than one run of `run()` can produce in one report is a caller's bug. */
const MAX_EVENTS_PER_REPORT = 10_000;
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
    return this.#call(async (deps) => {
      const { page, per_page, search } = parseInput(WorkflowQuery, query, "query");
      const { items, total } = await listWorkflows(deps, { page, perPage: per_page, search });
      return { result: items, result_info: pageInfo(items, { page, perPage: per_page, total }) };
    });
  }

  async getWorkflow(workflowName: string) {
    return this.#call((deps) => getWorkflow(deps, this.#workflow(workflowName)));
  }

  async putWorkflow(workflowName: string, definition: z.input<typeof WorkflowDefinitionBody>) {
    return this.#audited("putWorkflow", { workflowName }, (deps) => {
      const { schedules: _none, ...body } = parseInput(WorkflowDefinitionBody, definition, "body");
      return putWorkflow(deps, this.#workflow(workflowName), body);
    });
  }

  async deleteWorkflow(workflowName: string) {
    return this.#audited("deleteWorkflow", { workflowName }, async (deps) => {
      await deleteWorkflow(deps, this.#workflow(workflowName));
      return { status: "ok" as const, success: true };
    });
  }

  async listVersions(workflowName: string, query: z.input<ReturnType<typeof pageQuery>> = {}) {
    return this.#call(async (deps) => {
      const { page, per_page } = parseInput(pageQuery(50), query, "query");
      const { items, total } = await listVersions(deps, this.#workflow(workflowName), { page, perPage: per_page });
      return { result: items, result_info: pageInfo(items, { page, perPage: per_page, total }) };
    });
  }

  async getVersion(workflowName: string, versionId: string) {
    return this.#call((deps) => getVersion(deps, this.#workflow(workflowName), versionId));
  }

  // ------------------------------------------------------------------ instances

  async listInstances(workflowName: string, query: z.input<typeof InstanceListQuery> = {}) {
    return this.#call(async (deps) => {
      const { items, resultInfo } = await listInstances(
        deps,
        this.#workflow(workflowName),
        listOptionsOf(parseInput(InstanceListQuery, query, "query")),
      );
      return { result: items, result_info: resultInfo };
    });
  }

  async createInstance(workflowName: string, body: z.input<typeof CreateInstanceBody> = {}) {
    return this.#audited("createInstance", { workflowName, instanceId: body.instance_id }, (deps) =>
      createInstance(deps, this.#workflow(workflowName), parseInput(CreateInstanceBody, body, "body")),
    );
  }

  async createInstances(workflowName: string, bodies: z.input<typeof CreateInstanceBody>[]) {
    return this.#audited("createInstances", { workflowName }, (deps) =>
      createInstances(
        deps,
        this.#workflow(workflowName),
        parseInput(CreateInstanceBody.array().min(1).max(100), bodies, "body"),
      ),
    );
  }

  /** The instance with its steps (up to 10,000, in the order asked for). */
  async getInstance(workflowName: string, instanceId: string, options: z.input<typeof InstanceQuery> = {}) {
    return this.#call(async (deps) => {
      const { order, simple } = parseInput(InstanceQuery, options, "query");
      const { details, steps } = await getInstance(deps, this.#workflow(workflowName), this.#instance(instanceId));
      const log = simple === "true" ? "[]" : (await steps({ order, offset: 0, limit: MAX_RPC_STEPS })).json;
      return { ...details, steps: JSON.parse(log) as LogStep[] };
    });
  }

  async getInstanceStep(workflowName: string, instanceId: string, query: z.input<typeof StepQuery>) {
    return this.#call((deps) =>
      getInstanceStep(
        deps,
        this.#workflow(workflowName),
        this.#instance(instanceId),
        parseInput(StepQuery, query, "query"),
      ),
    );
  }

  async changeInstanceStatus(workflowName: string, instanceId: string, change: z.input<typeof StatusChangeBody>) {
    return this.#audited(
      "changeInstanceStatus",
      { workflowName, instanceId, reason: change.reason, detail: { status: change.status } },
      (deps) => {
        const { reason: _reason, ...valid } = parseInput(StatusChangeBody, change, "body");
        return changeInstanceStatus(deps, this.#workflow(workflowName), this.#instance(instanceId), valid);
      },
    );
  }

  async sendEvent(workflowName: string, instanceId: string, eventType: string, payload?: unknown) {
    return this.#audited("sendEvent", { workflowName, instanceId, detail: { event_type: eventType } }, async (deps) => {
      await sendInstanceEvent(deps, this.#workflow(workflowName), this.#instance(instanceId), {
        type: parseInput(EventType, eventType, "path.event_type"),
        payload: parseInput(JsonPayload, payload, "body"),
      });
      return {};
    });
  }

  async deleteInstance(workflowName: string, instanceId: string) {
    return this.#audited("deleteInstance", { workflowName, instanceId }, (deps) =>
      deleteInstance(deps, this.#workflow(workflowName), this.#instance(instanceId)),
    );
  }

  async deleteInstances(workflowName: string, instanceIds: string[]) {
    return this.#audited("deleteInstances", { workflowName }, (deps) =>
      deleteInstances(
        deps,
        this.#workflow(workflowName),
        parseInput(BatchDeleteBody, { instances: instanceIds }, "body").instances,
      ),
    );
  }

  // ------------------------------------------------------------------ bulk jobs

  async createBulkJob(
    workflowName: string,
    request: z.input<typeof BulkBody>,
    options: { idempotencyKey?: string } = {},
  ): Promise<BulkJobView> {
    return this.#audited("createBulkJob", { workflowName, reason: request.reason }, async (deps) => {
      const created = await createBulkJob(
        deps,
        this.#workflow(workflowName),
        bulkRequestOf(parseInput(BulkBody, request, "body")),
        {
          kind: "bulk",
          idempotencyKey: options.idempotencyKey,
        },
      );
      return created.job;
    });
  }

  async getBulkJob(workflowName: string, jobId: string) {
    return this.#call((deps) => getBulkJob(deps, this.#workflow(workflowName), jobId));
  }

  async listBulkJobs(workflowName: string, query: z.input<ReturnType<typeof pageQuery>> = {}) {
    return this.#call(async (deps) => {
      const { page, per_page } = parseInput(pageQuery(20), query, "query");
      const { items, total } = await listBulkJobs(deps, this.#workflow(workflowName), { page, perPage: per_page });
      return { result: items, result_info: pageInfo(items, { page, perPage: per_page, total }) };
    });
  }

  async bulkJobResults(workflowName: string, jobId: string, query: z.input<typeof ResultsQuery> = {}) {
    return this.#call(async (deps) => {
      const { outcome, cursor, per_page } = parseInput(ResultsQuery, query, "query");
      const { items, resultInfo } = await bulkJobResults(deps, this.#workflow(workflowName), jobId, {
        outcome,
        cursor,
        perPage: per_page,
      });
      return { result: items, result_info: resultInfo };
    });
  }

  async cancelBulkJob(workflowName: string, jobId: string) {
    return this.#audited("cancelBulkJob", { workflowName, detail: { job_id: jobId } }, (deps) =>
      cancelBulkJob(deps, this.#workflow(workflowName), jobId),
    );
  }

  // ------------------------------------------------------------------ tracking

  /**
   * Records what a tracked workflow observed about its instance (`TrackedWorkflow` calls this).
   * Reports that do not name a valid workflow and instance are refused.
   */
  async report(report: InstanceReport): Promise<void> {
    if (
      !WorkflowName.safeParse(report.workflowName).success ||
      !InstanceId.safeParse(report.instanceId).success ||
      !Array.isArray(report.events) ||
      report.events.length > MAX_EVENTS_PER_REPORT
    ) {
      throw new TypeError("report: needs a valid workflowName, instanceId and at most 10,000 events");
    }
    await journalOf(this.env, report.workflowName, report.instanceId).record(report);
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

  /** The services, once this deployment's workflows are defined (as for REST requests). */
  /** Runs an operation, turning an API error into one that carries its code across RPC. */
  async #call<T>(operation: (deps: Deps) => Promise<T>): Promise<T> {
    try {
      return await operation(await readyDeps(this.env, this.ctx));
    } catch (error) {
      throw error instanceof ApiError ? ControlPlaneError.encode(error.code, error.message) : error;
    }
  }

  /** A mutating operation: like #call, and recorded in the audit trail either way. */
  async #audited<T>(
    action: string,
    target: {
      workflowName?: string;
      instanceId?: string | undefined;
      reason?: string | undefined;
      detail?: Record<string, unknown>;
    },
    operation: (deps: Deps) => Promise<T>,
  ): Promise<T> {
    const entry = {
      actor: this.#caller(),
      action,
      workflowName: target.workflowName,
      instanceId: target.instanceId,
      requestId: crypto.randomUUID(),
      reason: target.reason,
      detail: target.detail,
    };
    return this.#call(async (deps) => {
      try {
        const result = await operation(deps);
        deps.defer(recordAudit(deps.db, { ...entry, status: 200 }));
        return result;
      } catch (error) {
        const known = error instanceof ApiError;
        deps.defer(
          recordAudit(deps.db, {
            ...entry,
            status: known ? error.status : ERRORS.internal.status,
            errorCode: known ? error.code : ERRORS.internal.code,
          }),
        );
        throw error;
      }
    });
  }
}
