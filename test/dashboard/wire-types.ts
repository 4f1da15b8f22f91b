/**
 * The dashboard declares the wire types it reads, because the browser build cannot import the
 * Worker's modules. These checks keep the two honest: each type the Worker sends must fit the
 * dashboard's reading of it. `tsc -p test/tsconfig.json` (part of `npm test`) fails when not.
 */
import type { z } from "@hono/zod-openapi";
import type * as Dashboard from "../../dashboard/src/api";
import type { BulkJobView, BulkResult } from "../../src/domain/bulk";
import type { LogStep } from "../../src/domain/journal";
import type { Verified } from "../../src/schemas/tokens";
import type { CountsResult } from "../../src/services/instances/counts";
import type { patchLabels } from "../../src/services/instances/labels";
import type { InstanceSummary } from "../../src/services/instances/list";
import type { InstanceDetails, StepOutput } from "../../src/services/instances/read";
import type {
  ErrorGroup,
  MetricsBucket,
  MetricsResult,
  readOverview,
  StepMetrics,
  WorkflowTotals,
} from "../../src/services/metrics";
import type { WorkflowVersion } from "../../src/services/versions";
import type { WorkflowDetail, WorkflowSummary } from "../../src/services/workflows";

/** Compiles only when what the Worker sends is something the dashboard reads. */
type Fits<Sent extends Read, Read> = [Sent, Read];

export type WireChecks = [
  Fits<z.infer<typeof Verified>, Dashboard.Identity>,
  Fits<WorkflowSummary, Dashboard.Workflow>,
  Fits<WorkflowDetail, Dashboard.WorkflowDetail>,
  Fits<WorkflowVersion, Dashboard.Version>,
  Fits<InstanceSummary, Dashboard.InstanceSummary>,
  Fits<LogStep, Dashboard.Step>,
  Fits<InstanceDetails & { steps: LogStep[] }, Dashboard.InstanceDetails>,
  Fits<StepOutput, Dashboard.StepOutput>,
  Fits<BulkJobView, Dashboard.BulkJob>,
  Fits<BulkResult, Dashboard.BulkResult>,
  Fits<CountsResult["groups"][number], Dashboard.CountGroup>,
  Fits<Awaited<ReturnType<typeof patchLabels>>, Awaited<ReturnType<Dashboard.Api["patchLabels"]>>>,
  Fits<MetricsBucket, Dashboard.MetricsBucket>,
  // The API answers one shape or the other as group_by asks; the dashboard reads each by its method.
  Fits<Extract<MetricsResult, { buckets: unknown }>, Dashboard.Metrics>,
  Fits<Extract<MetricsResult, { groups: unknown }>, Dashboard.VersionMetrics>,
  Fits<ErrorGroup, Dashboard.ErrorGroup>,
  Fits<StepMetrics, Dashboard.StepMetrics>,
  Fits<WorkflowTotals, Dashboard.WorkflowTotals>,
  Fits<Awaited<ReturnType<typeof readOverview>>, Dashboard.MetricsOverview>,
];
