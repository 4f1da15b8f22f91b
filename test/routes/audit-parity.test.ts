import { introspectWorkflow } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { type AuditRecord, api, audit, uniqueId } from "../helpers/api";
import { eventually } from "../helpers/eventually";

const controlPlane = env.CONTROL_PLANE;

/** One mutating operation, made over REST and over RPC; `p` prefixes every name it uses. */
type Operation = { rest: (p: string) => Promise<unknown>; rpc: (p: string) => Promise<unknown> };

const ignoreFailure = (call: Promise<unknown>) => call.catch(() => undefined);
const order = (p: string) => ({ instance_id: `${p}-order`, params: { orderId: p, amount: 1 } });

/** The bulk job each side created, to cancel it once it finished. */
const jobs = new Map<string, string>();

/** Every mutating operation the RPC entrypoint offers, in an order that leaves each one valid. */
const OPERATIONS: Record<string, Operation> = {
  "define a workflow": {
    rest: (p) => api("PUT", `/workflows/${p}-def`, { body: { class_name: "X", script_name: "y" } }),
    rpc: (p) => controlPlane.putWorkflow(`${p}-def`, { class_name: "X", script_name: "y" }),
  },
  "create an instance": {
    rest: (p) => api("POST", "/workflows/order-approval/instances", { body: order(p) }),
    rpc: (p) => controlPlane.createInstance("order-approval", order(p)),
  },
  "create a batch": {
    rest: (p) =>
      api("POST", "/workflows/hello-world/instances/batch", {
        body: [{ instance_id: `${p}-b` }, { instance_id: `${p}-c` }],
      }),
    rpc: (p) => controlPlane.createInstances("hello-world", [{ instance_id: `${p}-b` }, { instance_id: `${p}-c` }]),
  },
  "pause with a reason": {
    rest: (p) =>
      api("PATCH", `/workflows/order-approval/instances/${p}-order/status`, {
        body: { status: "pause", reason: "parity" },
      }),
    rpc: (p) =>
      controlPlane.changeInstanceStatus("order-approval", `${p}-order`, { status: "pause", reason: "parity" }),
  },
  resume: {
    rest: (p) => api("PATCH", `/workflows/order-approval/instances/${p}-order/status`, { body: { status: "resume" } }),
    rpc: (p) => controlPlane.changeInstanceStatus("order-approval", `${p}-order`, { status: "resume" }),
  },
  "send an event": {
    rest: (p) =>
      api("POST", `/workflows/order-approval/instances/${p}-order/events/approval`, { body: { approved: true } }),
    rpc: (p) => controlPlane.sendEvent("order-approval", `${p}-order`, "approval", { approved: true }),
  },
  "fail a status change": {
    rest: (p) =>
      api("PATCH", `/workflows/order-approval/instances/${p}-missing/status`, { body: { status: "terminate" } }),
    rpc: (p) =>
      ignoreFailure(controlPlane.changeInstanceStatus("order-approval", `${p}-missing`, { status: "terminate" })),
  },
  "start a bulk job": {
    rest: async (p) => {
      const { body } = await api<{ id: string }>("POST", "/workflows/hello-world/instances/bulk", {
        body: { action: "terminate", instance_ids: [`${p}-b`], reason: "parity" },
      });
      jobs.set(p, body.result.id);
    },
    rpc: async (p) => {
      const job = await controlPlane.createBulkJob("hello-world", {
        action: "terminate",
        instance_ids: [`${p}-b`],
        reason: "parity",
      });
      jobs.set(p, job.id);
    },
  },
  "cancel a finished bulk job": {
    rest: async (p) => {
      const job = jobs.get(p) ?? "";
      await jobDone(job);
      await api("POST", `/workflows/hello-world/bulk/${job}/cancel`);
    },
    rpc: async (p) => {
      const job = jobs.get(p) ?? "";
      await jobDone(job);
      await ignoreFailure(controlPlane.cancelBulkJob("hello-world", job));
    },
  },
  "delete an instance": {
    rest: (p) => api("DELETE", `/workflows/order-approval/instances/${p}-order`),
    rpc: (p) => controlPlane.deleteInstance("order-approval", `${p}-order`),
  },
  "delete a batch": {
    rest: (p) =>
      api("POST", "/workflows/hello-world/instances/batch/delete", { body: { instances: [`${p}-b`, `${p}-c`] } }),
    rpc: (p) => controlPlane.deleteInstances("hello-world", [`${p}-b`, `${p}-c`]),
  },
  "delete a workflow": {
    rest: (p) => api("DELETE", `/workflows/${p}-def`),
    rpc: (p) => controlPlane.deleteWorkflow(`${p}-def`),
  },
};

async function jobDone(jobId: string) {
  await eventually(async () => {
    const { body } = await api<{ status: string }>("GET", `/workflows/hello-world/bulk/${jobId}`);
    if (body.result.status !== "complete") throw new Error(`job ${body.result.status}`);
  });
}

/** A side's records without what differs by design (who, when, which request), names neutral. */
function comparable(records: AuditRecord[], p: string) {
  return records
    .map(({ id: _id, actor: _actor, request_id: _request, ...record }) => {
      const { at: _at, ...rest } = record as typeof record & { at?: string };
      return JSON.stringify(rest)
        .replaceAll(p, "<p>")
        .replaceAll(jobs.get(p) ?? "<none>", "<job>");
    })
    .sort();
}

describe("the audit trail of REST and RPC", () => {
  it("records the same facts for every mutating operation, whichever way it was called", async ({ expect }) => {
    await using orders = await introspectWorkflow(env.ORDER_APPROVAL);
    await orders.modifyAll(async (m) => {
      await m.disableSleeps();
    });
    await using _greetings = await introspectWorkflow(env.HELLO_WORLD);
    const sides = { rest: uniqueId("rest"), rpc: uniqueId("rpc") };
    for (const operation of Object.values(OPERATIONS)) {
      await operation.rest(sides.rest);
      await operation.rpc(sides.rpc);
    }
    const expected = Object.keys(OPERATIONS).length;
    const [rest, rpc] = await eventually(async () => {
      const both = await Promise.all([audit("actor_id=admin"), audit("actor_id=rpc:workflow-control-plane")]);
      if (both.some((records) => records.length < expected)) throw new Error("not all recorded yet");
      return both;
    });
    expect(rest).toHaveLength(expected);
    expect(comparable(rpc, sides.rpc)).toEqual(comparable(rest, sides.rest));
    expect(rest.map((record) => record.outcome).filter((outcome) => outcome === "failure")).toHaveLength(2);
  });
});
