import { createRoute, z } from "@hono/zod-openapi";
import { envelopeOf, failureResponses, jsonResponse, listEnvelopeOf, ok, okPage } from "../lib/envelope";
import { createRouter } from "../lib/router";
import { getVersion, getVersionGraph, listVersions } from "../services/versions";
import { pageQuery, Timestamp, WorkflowParams } from "./params";

const Version = z
  .object({
    id: z.string().uuid(),
    workflow_id: z.string().uuid(),
    class_name: z.string(),
    script_name: z.string(),
    created_on: Timestamp,
    modified_on: Timestamp,
    has_dag: z.boolean(),
    language: z.literal("javascript"),
    limits: z.object({ steps: z.number().int().optional() }).optional(),
    default_retention: z
      .object({ error_retention: z.number().int().optional(), success_retention: z.number().int().optional() })
      .optional()
      .openapi({ description: "Milliseconds." }),
  })
  .openapi("Version");

const VersionGraph = Version.pick({
  id: true,
  workflow_id: true,
  class_name: true,
  created_on: true,
  modified_on: true,
})
  .extend({ graph: z.null().openapi({ description: "Step graphs are not derived by this control plane." }) })
  .openapi("VersionGraph");

const VersionParams = WorkflowParams.extend({
  version_id: z
    .string()
    .uuid()
    .openapi({ param: { name: "version_id", in: "path" } }),
});

export const versionRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/accounts/{account_id}/workflows/{workflow_name}/versions",
      tags: ["Versions"],
      summary: "List a workflow's versions, newest first",
      request: { params: WorkflowParams, query: pageQuery(50) },
      responses: { 200: jsonResponse(listEnvelopeOf(Version), "Versions"), ...failureResponses(400, 404) },
    }),
    async (c) => {
      const { page, per_page } = c.req.valid("query");
      const { items, total } = await listVersions(c.var.deps, c.req.valid("param").workflow_name, {
        page,
        perPage: per_page,
      });
      return c.json(okPage(items, { page, perPage: per_page, total }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/accounts/{account_id}/workflows/{workflow_name}/versions/{version_id}",
      tags: ["Versions"],
      summary: "Get a version",
      request: { params: VersionParams },
      responses: { 200: jsonResponse(envelopeOf(Version), "The version"), ...failureResponses(400, 404) },
    }),
    async (c) => {
      const { workflow_name, version_id } = c.req.valid("param");
      return c.json(ok(await getVersion(c.var.deps, workflow_name, version_id)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/accounts/{account_id}/workflows/{workflow_name}/versions/{version_id}/graph",
      tags: ["Versions"],
      summary: "Get a version's step graph (always null here)",
      request: { params: VersionParams },
      responses: { 200: jsonResponse(envelopeOf(VersionGraph), "The version"), ...failureResponses(400, 404) },
    }),
    async (c) => {
      const { workflow_name, version_id } = c.req.valid("param");
      return c.json(ok(await getVersionGraph(c.var.deps, workflow_name, version_id)), 200);
    },
  );
