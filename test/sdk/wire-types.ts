/**
 * What the official `cloudflare` SDK (7.3.0) types each response as, against what this API
 * sends (its wire schemas). `tsc -p test/tsconfig.json` (part of `npm test`) fails when a field
 * this API sends does not fit the SDK's type; the e2e test checks real responses against the
 * same schemas. The two fields that cannot fit are named, with why, in `Unfittable`.
 */
import type { z } from "@hono/zod-openapi";
import type { EventCreateResponse } from "cloudflare/resources/workflows/instances/events";
import type * as Instances from "cloudflare/resources/workflows/instances/instances";
import type { StatusEditResponse } from "cloudflare/resources/workflows/instances/status";
import type * as Versions from "cloudflare/resources/workflows/versions";
import type * as Workflows from "cloudflare/resources/workflows/workflows";
import type { LogStep } from "../../src/domain/journal";
import type * as Wire from "../../src/schemas/instances";
import type { Version, VersionGraph } from "../../src/schemas/versions";
import type { Workflow, WorkflowDeleted, WorkflowDetail, WorkflowUpdate } from "../../src/schemas/workflows";
import type { InstanceDetails } from "../../src/services/instances/read";

/** Compiles only when what this API sends is something an SDK-typed client reads. */
type Fits<Sent extends Read, Read> = [Sent, Read];

/** What a schema's value is once sent as JSON: an optional field is absent, never `undefined`. */
type OnTheWire<T> = T extends readonly (infer Item)[]
  ? OnTheWire<Item>[]
  : T extends object
    ? { [Key in keyof T]: OnTheWire<Exclude<T[Key], undefined>> }
    : T;

type Sent<Schema extends z.ZodType> = OnTheWire<z.infer<Schema>>;

/**
 * Where the SDK's type is narrower than any engine can answer, this API sends null:
 * - an instance's `output` is null until run() has returned (the SDK types `string | number`);
 * - a waiting `waitForEvent`'s `end` is null, because the engine's event stream does not carry
 *   the wait's timeout (the SDK types a string). See docs/api.md, "Cloudflare's SDK types".
 */
type Unfittable = {
  output: null;
  waitEnd: null;
};

type DetailsAsSdkReads = Omit<Instances.InstanceGetResponse, "output" | "steps"> & {
  output: Instances.InstanceGetResponse["output"] | Unfittable["output"];
  steps: Array<
    | Instances.InstanceGetResponse.UnionMember0
    | Instances.InstanceGetResponse.UnionMember1
    | Instances.InstanceGetResponse.UnionMember2
    | (Omit<Instances.InstanceGetResponse.UnionMember3, "end"> & { end: string | Unfittable["waitEnd"] })
  >;
};

/**
 * GET instance streams what the services return, not a schema's parse: these hold the services'
 * types to the schemas, so the checks below cover what is really sent.
 */
export type ServiceChecks = [
  Fits<OnTheWire<LogStep>, Sent<typeof Wire.Step>>,
  Fits<OnTheWire<InstanceDetails & { steps: LogStep[] }>, Sent<typeof Wire.InstanceDetails>>,
];

export type SdkChecks = [
  Fits<Sent<typeof WorkflowDetail>, Workflows.WorkflowGetResponse>,
  Fits<Sent<typeof Workflow>, Workflows.WorkflowListResponse>,
  Fits<Sent<typeof WorkflowUpdate>, Workflows.WorkflowUpdateResponse>,
  Fits<Sent<typeof WorkflowDeleted>, Workflows.WorkflowDeleteResponse>,
  Fits<Sent<typeof Version>, Versions.VersionGetResponse>,
  Fits<Sent<typeof Version>, Versions.VersionListResponse>,
  Fits<Sent<typeof VersionGraph>, Versions.VersionGraphResponse>,
  Fits<Sent<typeof Wire.InstanceCreated>, Instances.InstanceCreateResponse>,
  Fits<Sent<typeof Wire.InstanceCreated>, Instances.InstanceBulkResponse>,
  Fits<Sent<typeof Wire.InstanceSummary>, Instances.InstanceListResponse>,
  Fits<Sent<typeof Wire.InstanceDetails>, DetailsAsSdkReads>,
  Fits<Sent<typeof Wire.StepOutput>, Instances.InstanceStepResponse>,
  Fits<Sent<typeof Wire.StatusChangeResult>, StatusEditResponse>,
  Fits<Sent<typeof Wire.EventSent>, EventCreateResponse>,
];
