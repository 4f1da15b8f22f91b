import type { StatusAction } from "../../domain/instance-status";

/**
 * What the audit trail records of a mutating call besides who made it and how it ended. The
 * REST routes and the RPC entrypoint build it with the same function per operation below, so
 * one operation leaves the same record whichever way it was called. `action` is the REST route.
 */
export type AuditFacts = {
  action: string;
  workflowName?: string | undefined;
  instanceId?: string | undefined;
  reason?: string | undefined;
  detail?: Record<string, unknown> | undefined;
  /** The status a success answers with over REST, when it is not 200. */
  status?: number;
};

/**
 * Facts of a call given what it was asked and, once it succeeded, what it returned: the first
 * call (no result) describes a call that failed, the second one that succeeded.
 */
export type FactsOf<R> = (result?: R) => AuditFacts;

const WORKFLOW = "/workflows/:workflow_name";
const INSTANCE = `${WORKFLOW}/instances/:instance_id`;

export const AUDITED = {
  /** What was asked to change, in milliseconds. */
  updateSettings:
    (patch: Record<string, unknown>): FactsOf<unknown> =>
    () => ({ action: "PATCH /workflows/settings", detail: patch }),

  putWorkflow:
    (workflowName: string): FactsOf<unknown> =>
    () => ({ action: `PUT ${WORKFLOW}`, workflowName }),

  deleteWorkflow:
    (workflowName: string): FactsOf<unknown> =>
    () => ({ action: `DELETE ${WORKFLOW}`, workflowName }),

  /** Names the instance asked for, or the one created with a generated id. */
  createInstance:
    (workflowName: string, requestedId: string | undefined): FactsOf<{ id: string }> =>
    (created) => ({
      action: `POST ${WORKFLOW}/instances`,
      workflowName,
      instanceId: created?.id ?? requestedId,
    }),

  /** A batch's created ids, whether it answered with them alone or with a per-item report. */
  createInstances:
    (workflowName: string): FactsOf<{ id: string }[] | { created: { id: string }[]; errors: unknown[] }> =>
    (result) => {
      const created = Array.isArray(result) ? result : result?.created;
      return {
        action: `POST ${WORKFLOW}/instances/batch`,
        workflowName,
        detail: created && {
          instance_ids: created.map((instance) => instance.id),
          ...(result && !Array.isArray(result) ? { not_created: result.errors.length } : {}),
        },
      };
    },

  deleteInstances:
    (workflowName: string): FactsOf<unknown> =>
    () => ({
      action: `POST ${WORKFLOW}/instances/batch/delete`,
      workflowName,
    }),

  changeInstanceStatus:
    (workflowName: string, instanceId: string, change: { status: StatusAction; reason?: string | undefined }) =>
    () => ({
      action: `PATCH ${INSTANCE}/status`,
      workflowName,
      instanceId,
      reason: change.reason,
      detail: { status: change.status },
    }),

  sendEvent: (workflowName: string, instanceId: string, eventType: string) => () => ({
    action: `POST ${INSTANCE}/events/:event_type`,
    workflowName,
    instanceId,
    detail: { event_type: eventType },
  }),

  /** The keys set and removed (values may be tenant data: the instance keeps them, not the trail). */
  patchLabels:
    (
      workflowName: string,
      instanceId: string,
      change: { set?: Record<string, string> | undefined; remove?: string[] | undefined },
    ) =>
    () => ({
      action: `PATCH ${INSTANCE}/labels`,
      workflowName,
      instanceId,
      detail: { set: Object.keys(change.set ?? {}), remove: change.remove ?? [] },
    }),

  deleteInstance: (workflowName: string, instanceId: string) => () => ({
    action: `DELETE ${INSTANCE}`,
    workflowName,
    instanceId,
  }),

  createBulkJob:
    (
      workflowName: string,
      request: { action: string; reason?: string | undefined },
    ): FactsOf<{ outcome: string; job: { id: string; total: number } }> =>
    (created) => ({
      action: `POST ${WORKFLOW}/instances/bulk`,
      workflowName,
      reason: request.reason,
      status: 202,
      detail: created && {
        job_id: created.job.id,
        action: request.action,
        total: created.job.total,
        outcome: created.outcome,
      },
    }),

  terminateBatch:
    (workflowName: string): FactsOf<{ job: { id: string; total: number } }> =>
    (created) => ({
      action: `POST ${WORKFLOW}/instances/batch/terminate`,
      workflowName,
      detail: created && { job_id: created.job.id, total: created.job.total },
    }),

  terminateAll:
    (workflowName: string): FactsOf<{ outcome: string; job: { id: string } }> =>
    (created) => ({
      action: `PUT ${WORKFLOW}/instances/terminate`,
      workflowName,
      detail: created && { job_id: created.job.id, outcome: created.outcome },
    }),

  cancelBulkJob: (workflowName: string, jobId: string) => () => ({
    action: `POST ${WORKFLOW}/bulk/:job_id/cancel`,
    workflowName,
    detail: { job_id: jobId },
  }),

  createToken: (): FactsOf<{ id: string; name: string; permissions: string[] }> => (created) => ({
    action: "POST /tokens",
    detail: created && { token_id: created.id, name: created.name, permissions: created.permissions },
  }),

  revokeToken: (tokenId: string) => () => ({ action: "DELETE /tokens/:token_id", detail: { token_id: tokenId } }),
} satisfies Record<string, (...args: never[]) => FactsOf<never>>;
