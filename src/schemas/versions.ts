import { z } from "@hono/zod-openapi";
import { pageQuery, Timestamp, WorkflowParams } from "./params";

export const VersionQuery = pageQuery(50);

export const Version = z
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

const VersionHeader = Version.pick({
  id: true,
  workflow_id: true,
  class_name: true,
  created_on: true,
  modified_on: true,
});

export const VersionGraph = VersionHeader.extend({
  graph: z.null().openapi({ description: "Step graphs are not derived by this control plane." }),
}).openapi("VersionGraph");

export const VersionDag = VersionHeader.extend({
  dag: z.null().openapi({ description: "No version has a DAG here (has_dag is false)." }),
}).openapi("VersionDag");

export const VersionParams = WorkflowParams.extend({
  version_id: z
    .string()
    .uuid()
    .openapi({ param: { name: "version_id", in: "path" } }),
});
