import { createRoute, z } from "@hono/zod-openapi";
import { visibleWorkflows } from "../access/principal";
import { ok } from "../lib/envelope";
import { createRouter } from "../lib/router";
import { envelopeOf, failureResponses, jsonResponse } from "../schemas/envelope";
import {
  ErrorGroups,
  ErrorsQuery,
  MetricsQuery,
  MetricsResult,
  Overview,
  OverviewQuery,
  StepMetricsQuery,
  StepMetricsResult,
} from "../schemas/metrics";
import { AccountParams, WorkflowParams } from "../schemas/params";
import { exposition, readMetrics, readOverview, readStepMetrics, readTopErrors } from "../services/metrics";

const OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

export const metricsRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/accounts/{account_id}/metrics",
      tags: ["Metrics"],
      summary: "Every workflow's metrics for Prometheus",
      description:
        "OpenMetrics 1.0 when the Accept header asks for application/openmetrics-text (as Prometheus does), else Prometheus' text format 0.0.4. Readable with a token that has only the metrics permission.",
      request: { params: AccountParams },
      responses: {
        200: {
          description: "The exposition",
          content: { [OPENMETRICS]: { schema: z.string() }, [PROMETHEUS_TEXT]: { schema: z.string() } },
        },
        ...failureResponses(),
      },
    }),
    async (c) => {
      const openMetrics = (c.req.header("Accept") ?? "").includes("application/openmetrics-text");
      const only = visibleWorkflows(c.get("principal"));
      const text = await exposition(c.var.deps, openMetrics ? "openmetrics" : "prometheus", only);
      return c.body(text, 200, { "Content-Type": openMetrics ? OPENMETRICS : PROMETHEUS_TEXT });
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/accounts/{account_id}/metrics/overview",
      tags: ["Metrics"],
      summary: "Every workflow's totals over a window (the last 24 hours by default)",
      request: { params: AccountParams, query: OverviewQuery },
      responses: { 200: jsonResponse(envelopeOf(Overview), "Totals per workflow"), ...failureResponses(400) },
    }),
    async (c) =>
      c.json(ok(await readOverview(c.var.deps, c.req.valid("query"), visibleWorkflows(c.get("principal")))), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/accounts/{account_id}/workflows/{workflow_name}/metrics",
      tags: ["Metrics"],
      summary: "A workflow's throughput, error rate and durations per time bucket",
      request: { params: WorkflowParams, query: MetricsQuery },
      responses: {
        200: jsonResponse(envelopeOf(MetricsResult), "One series, or one per version"),
        ...failureResponses(400, 404),
      },
    }),
    async (c) => {
      const { since, until, bucket, group_by, labels } = c.req.valid("query");
      const result = await readMetrics(c.var.deps, c.req.valid("param").workflow_name, {
        since,
        until,
        bucket,
        groupBy: group_by,
        labels,
      });
      return c.json(ok(result), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/accounts/{account_id}/workflows/{workflow_name}/metrics/steps",
      tags: ["Metrics"],
      summary: "A workflow's steps: attempts, failures, retries and durations per time bucket",
      request: { params: WorkflowParams, query: StepMetricsQuery },
      responses: {
        200: jsonResponse(envelopeOf(StepMetricsResult), "The steps that fail most first"),
        ...failureResponses(400, 404),
      },
    }),
    async (c) =>
      c.json(ok(await readStepMetrics(c.var.deps, c.req.valid("param").workflow_name, c.req.valid("query"))), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/accounts/{account_id}/workflows/{workflow_name}/metrics/errors",
      tags: ["Metrics"],
      summary: "A workflow's most frequent errors, by name and message shape",
      request: { params: WorkflowParams, query: ErrorsQuery },
      responses: {
        200: jsonResponse(envelopeOf(ErrorGroups), "Error groups, most frequent first"),
        ...failureResponses(400, 404),
      },
    }),
    async (c) =>
      c.json(ok(await readTopErrors(c.var.deps, c.req.valid("param").workflow_name, c.req.valid("query"))), 200),
  );
