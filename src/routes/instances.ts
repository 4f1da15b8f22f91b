import { createRoute, z } from "@hono/zod-openapi";
import type { StepPage } from "../domain/journal";
import { ok, okList } from "../lib/envelope";
import { createRouter } from "../lib/router";
import { streamEnvelope, streamedAs } from "../lib/stream-envelope";
import { audited } from "../middleware/audit";
import { envelopeOf, failureResponses, jsonResponse, listEnvelopeOf } from "../schemas/envelope";
import {
  BatchCreateReport,
  BatchDeleteBody,
  BatchDeleteResult,
  batchInputsOf,
  CreateBatchBody,
  CreateInstanceBody,
  CreateInstancesBody,
  EventParams,
  EventSent,
  eventPayloadOf,
  InstanceCreated,
  InstanceDeleted,
  InstanceDetails,
  InstanceListQuery,
  InstanceQuery,
  InstanceSummary,
  listOptionsOf,
  StatusChangeBody,
  StatusChangeResult,
  StepOutput,
  StepQuery,
} from "../schemas/instances";
import { InstanceParams, WorkflowParams } from "../schemas/params";
import { INSTANCE, INSTANCES, instancesRoute } from "../schemas/paths";
import { AUDITED } from "../services/audit/operations";
import {
  changeInstanceStatus,
  createInstance,
  createInstanceBatch,
  createInstances,
  deleteInstance,
  deleteInstances,
  getInstance,
  getInstanceStep,
  listInstances,
  sendInstanceEvent,
} from "../services/instances";

// ---------------------------------------------------------------------------------------------
// Routes (literal segments such as /batch are registered before /{instance_id})
// ---------------------------------------------------------------------------------------------

export const instanceRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: INSTANCES,
      tags: ["Instances"],
      summary: "List instances",
      request: { params: WorkflowParams, query: InstanceListQuery },
      responses: { 200: jsonResponse(listEnvelopeOf(InstanceSummary), "Instances"), ...failureResponses(400, 404) },
    }),
    async (c) => {
      const { workflow_name } = c.req.valid("param");
      return c.json(okList(await listInstances(c.var.deps, workflow_name, listOptionsOf(c.req.valid("query")))), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: INSTANCES,
      tags: ["Instances"],
      summary: "Create an instance",
      request: {
        params: WorkflowParams,
        body: { content: { "application/json": { schema: CreateInstanceBody } } },
      },
      responses: {
        200: jsonResponse(envelopeOf(InstanceCreated), "Created"),
        ...failureResponses(400, 404, 413),
      },
    }),
    async (c) => {
      const { workflow_name } = c.req.valid("param");
      const body = c.req.valid("json");
      const created = await audited(c, AUDITED.createInstance(workflow_name, body.instance_id), () =>
        createInstance(c.var.deps, workflow_name, body),
      );
      return c.json(ok(created), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: instancesRoute("batch"),
      tags: ["Instances"],
      summary: "Create up to 100 instances",
      description:
        "An array (Cloudflare's body) answers with the instances created: ids that already exist or repeat are skipped. " +
        "An object, `{ instances: [...] }` or `{ count, params }` (the binding's object form), answers " +
        "`{ created, errors }`, with an error for each item not created.",
      request: {
        params: WorkflowParams,
        body: {
          required: true,
          content: { "application/json": { schema: z.union([CreateInstancesBody, CreateBatchBody]) } },
        },
      },
      responses: {
        200: jsonResponse(envelopeOf(z.union([z.array(InstanceCreated), BatchCreateReport])), "Created"),
        ...failureResponses(400, 404, 413),
      },
    }),
    async (c) => {
      const { workflow_name } = c.req.valid("param");
      const body = c.req.valid("json");
      const { deps } = c.var;
      const facts = AUDITED.createInstances(workflow_name);
      const result = Array.isArray(body)
        ? await audited(c, facts, () => createInstances(deps, workflow_name, body))
        : await audited(c, facts, () => createInstanceBatch(deps, workflow_name, batchInputsOf(body)));
      return c.json(ok(result), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: instancesRoute("batch", "/delete"),
      tags: ["Instances"],
      summary: "Delete up to 100 instances",
      request: {
        params: WorkflowParams,
        body: { required: true, content: { "application/json": { schema: BatchDeleteBody } } },
      },
      responses: {
        200: jsonResponse(envelopeOf(BatchDeleteResult), "One outcome per id"),
        ...failureResponses(400, 404),
      },
    }),
    async (c) => {
      const { workflow_name } = c.req.valid("param");
      const result = await audited(c, AUDITED.deleteInstances(workflow_name), () =>
        deleteInstances(c.var.deps, workflow_name, c.req.valid("json").instances),
      );
      return c.json(ok(result), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: INSTANCE,
      tags: ["Instances"],
      summary: "Get an instance: live status, lifecycle and step log",
      request: { params: InstanceParams, query: InstanceQuery },
      responses: { 200: jsonResponse(envelopeOf(InstanceDetails), "The instance"), ...failureResponses(400, 404) },
    }),
    async (c) => {
      const { workflow_name, instance_id } = c.req.valid("param");
      const { order, simple } = c.req.valid("query");
      const { details, steps } = await getInstance(c.var.deps, workflow_name, instance_id);
      const pages = simple === "true" ? noPages() : stepPages(steps, order);
      // Streamed: an instance's 10,000 steps are never in memory at once.
      const response = streamEnvelope(details, "steps", pages, c.var.deps.defer);
      return streamedAs<z.infer<ReturnType<typeof envelopeOf<typeof InstanceDetails>>>>(response);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${INSTANCE}/step`,
      tags: ["Instances"],
      summary: "Get one step's full, untruncated output",
      request: { params: InstanceParams, query: StepQuery },
      responses: { 200: jsonResponse(envelopeOf(StepOutput), "The step"), ...failureResponses(400, 404) },
    }),
    async (c) => {
      const { workflow_name, instance_id } = c.req.valid("param");
      return c.json(ok(await getInstanceStep(c.var.deps, workflow_name, instance_id, c.req.valid("query"))), 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: `${INSTANCE}/status`,
      tags: ["Instances"],
      summary: "Pause, resume, terminate or restart an instance",
      request: {
        params: InstanceParams,
        body: { required: true, content: { "application/json": { schema: StatusChangeBody } } },
      },
      responses: {
        200: jsonResponse(envelopeOf(StatusChangeResult), "The status after the change"),
        ...failureResponses(400, 404, 409),
      },
    }),
    async (c) => {
      const { workflow_name, instance_id } = c.req.valid("param");
      const { reason, ...change } = c.req.valid("json");
      const result = await audited(
        c,
        AUDITED.changeInstanceStatus(workflow_name, instance_id, { reason, ...change }),
        () => changeInstanceStatus(c.var.deps, workflow_name, instance_id, change),
      );
      return c.json(ok(result), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: `${INSTANCE}/events/{event_type}`,
      tags: ["Instances"],
      summary: "Send an event to an instance",
      request: {
        params: EventParams,
        body: {
          description: "The event payload: any JSON value of at most 1 MiB, or nothing.",
          // Parsed by the handler rather than a validator, because an empty body is allowed.
          content: { "application/json": { schema: {} } },
        },
      },
      responses: {
        200: jsonResponse(envelopeOf(EventSent), "Sent"),
        ...failureResponses(400, 404, 409),
      },
    }),
    async (c) => {
      const { workflow_name, instance_id, event_type } = c.req.valid("param");
      const sent = await audited(c, AUDITED.sendEvent(workflow_name, instance_id, event_type), async () =>
        sendInstanceEvent(c.var.deps, workflow_name, instance_id, {
          type: event_type,
          payload: eventPayloadOf(await c.req.text()),
        }),
      );
      return c.json(ok(sent), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: INSTANCE,
      tags: ["Instances"],
      summary: "Delete an instance and its state",
      request: { params: InstanceParams },
      responses: {
        200: jsonResponse(envelopeOf(InstanceDeleted), "Deleted"),
        ...failureResponses(400, 404),
      },
    }),
    async (c) => {
      const { workflow_name, instance_id } = c.req.valid("param");
      const deleted = await audited(c, AUDITED.deleteInstance(workflow_name, instance_id), () =>
        deleteInstance(c.var.deps, workflow_name, instance_id),
      );
      return c.json(ok(deleted), 200);
    },
  );

/** Steps read from the instance's journal, a page at a time. */
const STEP_PAGE = 500;

async function* stepPages(
  read: (query: { order: "asc" | "desc"; offset: number; limit: number }) => Promise<StepPage>,
  order: "asc" | "desc",
): AsyncIterable<string> {
  for (let offset = 0; ; offset += STEP_PAGE) {
    const page = await read({ order, offset, limit: STEP_PAGE });
    yield page.json;
    if (page.count < STEP_PAGE) return;
  }
}

async function* noPages(): AsyncIterable<string> {}
