import { createRoute } from "@hono/zod-openapi";
import { listPage, ok, okList } from "../lib/envelope";
import { createRouter } from "../lib/router";
import { envelopeOf, failureResponses, jsonResponse, listEnvelopeOf } from "../schemas/envelope";
import { WorkflowParams } from "../schemas/params";
import { Version, VersionDag, VersionGraph, VersionParams, VersionQuery } from "../schemas/versions";
import { getVersion, getVersionDag, getVersionGraph, listVersions } from "../services/versions";

export const versionRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/accounts/{account_id}/workflows/{workflow_name}/versions",
      tags: ["Versions"],
      summary: "List a workflow's versions, newest first",
      request: { params: WorkflowParams, query: VersionQuery },
      responses: { 200: jsonResponse(listEnvelopeOf(Version), "Versions"), ...failureResponses(400, 404) },
    }),
    async (c) => {
      const { workflow_name } = c.req.valid("param");
      const versions = await listPage(c.req.valid("query"), (page) => listVersions(c.var.deps, workflow_name, page));
      return c.json(okList(versions), 200);
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
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/accounts/{account_id}/workflows/{workflow_name}/versions/{version_id}/dag",
      tags: ["Versions"],
      summary: "Get a version's DAG (always null here)",
      request: { params: VersionParams },
      responses: { 200: jsonResponse(envelopeOf(VersionDag), "The version"), ...failureResponses(400, 404) },
    }),
    async (c) => {
      const { workflow_name, version_id } = c.req.valid("param");
      return c.json(ok(await getVersionDag(c.var.deps, workflow_name, version_id)), 200);
    },
  );
