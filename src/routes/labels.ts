import { createRoute } from "@hono/zod-openapi";
import { ok } from "../lib/envelope";
import { createRouter } from "../lib/router";
import { audited } from "../middleware/audit";
import { envelopeOf, failureResponses, jsonResponse } from "../schemas/envelope";
import { CountsQuery, countsOptionsOf } from "../schemas/instances";
import { InstanceCountGroups, LabelsPatchBody, LabelsPatched } from "../schemas/labels";
import { InstanceParams, WorkflowParams } from "../schemas/params";
import { INSTANCE, instancesRoute } from "../schemas/paths";
import { AUDITED } from "../services/audit/operations";
import { countInstances } from "../services/instances/counts";
import { patchLabels } from "../services/instances/labels";

// Registered before the instance routes, so `/instances/counts` is not read as an instance id.

export const labelRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: instancesRoute("counts"),
      tags: ["Instances"],
      summary: "Count instances, grouped by status, version or label values",
      description:
        "Exact. Grouping by status and by one label key (with at most a status filter and a selector on that key only) reads maintained counts; anything else counts over at most 100,000 matching instances.",
      request: { params: WorkflowParams, query: CountsQuery },
      responses: {
        200: jsonResponse(envelopeOf(InstanceCountGroups), "Counts per group"),
        ...failureResponses(400, 404),
      },
    }),
    async (c) => {
      const { workflow_name } = c.req.valid("param");
      return c.json(ok(await countInstances(c.var.deps, workflow_name, countsOptionsOf(c.req.valid("query")))), 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: `${INSTANCE}/labels`,
      tags: ["Instances"],
      summary: "Set and remove labels of an instance",
      request: {
        params: InstanceParams,
        body: { required: true, content: { "application/json": { schema: LabelsPatchBody } } },
      },
      responses: {
        200: jsonResponse(envelopeOf(LabelsPatched), "The instance's labels after the change"),
        ...failureResponses(400, 404),
      },
    }),
    async (c) => {
      const { workflow_name, instance_id } = c.req.valid("param");
      const change = c.req.valid("json");
      const patched = await audited(c, AUDITED.patchLabels(workflow_name, instance_id, change), () =>
        patchLabels(c.var.deps, workflow_name, instance_id, change),
      );
      return c.json(ok(patched), 200);
    },
  );
