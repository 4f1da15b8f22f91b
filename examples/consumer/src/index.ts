/**
 * An order service that runs its approvals on the control plane over a service binding:
 *
 *   POST /orders                 { "orderId": "A-1", "amount": 42 }   start an approval
 *   POST /orders/:id/approval    { "approved": true }                 decide it
 *   GET  /orders/:id                                                  where it stands
 *   POST /orders/:id/shipment                                         ship it (ship-order, a Workflow of
 *                                                                     examples/shipping-worker)
 *   GET  /orders/:id/shipment                                         its shipment, step by step
 *
 * The binding is typed from the control plane's own source, and its failures carry the same
 * code and message as its REST API.
 */
import type { ControlPlane } from "workflow-control-plane/rpc";
import { ControlPlaneError, ERRORS } from "workflow-control-plane/rpc";

type OrderServiceEnv = { CONTROL_PLANE: Service<ControlPlane> };

const WORKFLOW = "order-approval";
/** A Workflow of another Worker, which the control plane sees from the engine's events alone. */
const SHIPPING = "ship-order";

export default {
  async fetch(request, env) {
    const [, resource, id, action, ...rest] = new URL(request.url).pathname.split("/");
    if (resource !== "orders" || rest.length > 0) return Response.json({ error: "not found" }, { status: 404 });
    try {
      if (request.method === "POST" && !id) {
        const order = await request.json<{ orderId: string; amount: number }>();
        const created = await env.CONTROL_PLANE.createInstance(WORKFLOW, {
          instance_id: `order-${order.orderId}`,
          params: order,
        });
        return Response.json({ id: created.id, status: created.status }, { status: 201 });
      }
      if (request.method === "POST" && id && action === "approval") {
        const decision = await request.json<{ approved: boolean }>();
        await env.CONTROL_PLANE.sendEvent(WORKFLOW, id, "approval", decision);
        return Response.json({ id, sent: "approval" }, { status: 202 });
      }
      if (id && action === "shipment") {
        if (request.method === "POST") {
          const created = await env.CONTROL_PLANE.createInstance(SHIPPING, {
            instance_id: `ship-${id}`,
            params: { orderId: id },
          });
          return Response.json({ id: created.id, status: created.status }, { status: 201 });
        }
        const shipment = await env.CONTROL_PLANE.getInstance(SHIPPING, `ship-${id}`);
        return Response.json({
          id: `ship-${id}`,
          status: shipment.status,
          output: parsed(shipment.output),
          steps: shipment.steps,
        });
      }
      if (request.method === "GET" && id && !action) {
        const instance = await env.CONTROL_PLANE.getInstance(WORKFLOW, id, { simple: "true" });
        return Response.json({ id, status: instance.status, output: parsed(instance.output), error: instance.error });
      }
      return Response.json({ error: "not found" }, { status: 404 });
    } catch (error) {
      const failure = ControlPlaneError.from(error);
      if (!failure) throw error;
      const { instanceNotFound, workflowNotFound, instanceStateConflict } = ERRORS;
      const status =
        failure.code === instanceNotFound.code || failure.code === workflowNotFound.code
          ? 404
          : failure.code === instanceStateConflict.code
            ? 409
            : 400;
      return Response.json({ code: failure.code, message: failure.message }, { status });
    }
  },
} satisfies ExportedHandler<OrderServiceEnv>;

/** An instance's output comes as JSON text, as in Cloudflare's API. */
function parsed(output: string | null): unknown {
  return output === null ? null : JSON.parse(output);
}
