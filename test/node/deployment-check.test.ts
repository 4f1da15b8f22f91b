import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, it } from "vitest";
import {
  checkContract,
  checkDeploy,
  type DeployFacts,
  PLAN_SIZE_LIMITS,
  parseConfig,
  unexportedClasses,
  type WranglerConfig,
} from "../../scripts/lib/deployment-check.ts";

const reference = parseConfig(readFileSync("wrangler.toml", "utf8"));
/** The example team's config: a correct one, which every case below breaks in one way. */
const teamText = readFileSync("examples/team/wrangler.toml", "utf8");
const team = (): WranglerConfig => parseConfig(teamText);
const facts: DeployFacts = { secrets: ["ADMIN_TOKEN"], bundleBytes: 300_000, plan: "paid" };

function broken(change: (config: WranglerConfig) => void): WranglerConfig {
  const config = team();
  change(config);
  return config;
}

describe("checkDeploy", () => {
  it("passes the example team's config", ({ expect }) => {
    expect(checkDeploy(team(), reference, facts)).toEqual([]);
    expect(checkDeploy(team(), reference, { ...facts, secrets: undefined })).toEqual([]);
  });

  it.for([
    [
      "a missing database_id",
      broken((config) => {
        for (const database of config.d1_databases ?? []) delete database.database_id;
      }),
      facts,
      /D1 database DB has no database_id[\s\S]*wrangler d1 create acme-control-plane/,
    ],
    [
      "the all-zero account id",
      broken((config) => {
        config.vars = { ...config.vars, ACCOUNT_ID: "00000000000000000000000000000000" };
      }),
      facts,
      /all-zero placeholder[\s\S]*wrangler whoami/,
    ],
    [
      "a missing ADMIN_TOKEN secret, where wrangler can tell",
      team(),
      { ...facts, secrets: ["OTHER"] },
      /no ADMIN_TOKEN secret[\s\S]*wrangler secret put ADMIN_TOKEN/,
    ],
    [
      "the package's placeholder rate-limit namespaces",
      broken((config) => {
        for (const [index, limit] of (config.ratelimits ?? []).entries()) limit.namespace_id = String(1001 + index);
      }),
      facts,
      /namespace_id "1001", a placeholder not chosen for this account/,
    ],
    [
      "a placeholder namespace written as a number",
      broken((config) => {
        for (const [index, limit] of (config.ratelimits ?? []).entries()) limit.namespace_id = 1001 + index;
      }),
      facts,
      /namespace_id "1001", a placeholder not chosen for this account/,
    ],
    [
      "two rate limits sharing a namespace",
      broken((config) => {
        for (const limit of config.ratelimits ?? []) limit.namespace_id = "7301";
      }),
      facts,
      /shared with another rate limit here/,
    ],
    [
      "a self-binding that names another Worker",
      broken((config) => {
        for (const service of config.services ?? []) service.service = "workflow-control-plane";
      }),
      facts,
      /names Worker "workflow-control-plane", not this one \("acme-control-plane"\)[\s\S]*service = "acme-control-plane"/,
    ],
    [
      "a bundle over the Free plan's limit",
      team(),
      { ...facts, plan: "free", bundleBytes: PLAN_SIZE_LIMITS.free + 1 },
      /over the Workers Free plan's 3\.00 MiB/,
    ],
    [
      "a bundle over the Paid plan's limit",
      team(),
      { ...facts, bundleBytes: PLAN_SIZE_LIMITS.paid + 1 },
      /over the Workers Paid plan's 10\.00 MiB/,
    ],
  ] as const)("refuses %s, with the fix", ([, config, given, expected], { expect }) => {
    const findings = checkDeploy(config, reference, given);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.map(({ problem, fix }) => `${problem}\n${fix}`).join("\n")).toMatch(expected);
  });
});

describe("checkContract", () => {
  it("passes this repository's config and the example team's", ({ expect }) => {
    expect(checkContract(reference, reference)).toEqual([]);
    expect(checkContract(team(), reference)).toEqual([]);
  });

  it.for([
    [
      "a Durable Object binding a new version adds",
      broken((config) => {
        config.durable_objects = { bindings: config.durable_objects?.bindings?.slice(1) ?? [] };
      }),
      /Durable Object binding INSTANCE_JOURNAL is missing[\s\S]*class_name = "InstanceJournal"/,
    ],
    [
      "its SQLite migration",
      broken((config) => {
        config.migrations = [{ tag: "v1", new_sqlite_classes: ["InstanceJournal"] }];
      }),
      /no migration creates the SQLite classes IndexWriter, BulkJob, InstanceSweeper, IndexSegment/,
    ],
    [
      "a rate limit",
      broken((config) => {
        config.ratelimits = config.ratelimits?.filter((limit) => limit.name !== "EVENTS_RATE_LIMIT") ?? [];
      }),
      /rate limit EVENTS_RATE_LIMIT is missing/,
    ],
    [
      "the D1 binding",
      broken((config) => {
        config.d1_databases = [];
      }),
      /no D1 database is bound as DB/,
    ],
    [
      "the self-binding",
      broken((config) => {
        config.services = [];
      }),
      /no service binding reaches this Worker's ControlPlane entrypoint/,
    ],
  ] as const)("names a missing %s", ([, config, expected], { expect }) => {
    expect(checkContract(config, reference).map(({ problem, fix }) => `${problem}\n${fix}`)).toContainEqual(
      expect.stringMatching(expected),
    );
  });
});

describe("unexportedClasses", () => {
  it("names the classes the entry module does not export, from the types wrangler generated", ({ expect }) => {
    const types = [
      "interface __BaseEnv_Env {",
      '\tINSTANCE_JOURNAL: DurableObjectNamespace<import("./src/index").InstanceJournal>;',
      "\tBULK_JOB: DurableObjectNamespace /* BulkJob */;",
      "\tNOTES: DurableObjectNamespace /* NoteTaker */;",
      "\tCONTROL_PLANE: Service /* entrypoint ControlPlane from acme-control-plane */;",
      "\tOTHER_PLANE: Service /* entrypoint ControlPlane from another-worker */;",
      "\tSHIP_ORDER: Workflow /* ShipOrderWorkflow from shipping-worker */;",
      "}",
    ].join("\n");
    expect(unexportedClasses(types, "acme-control-plane", reference)).toEqual([
      {
        problem:
          "the entry module does not export BulkJob (binding BULK_JOB is untyped, and the Worker will not start)",
        fix: 'export BulkJob from the entry module (`export { …, BulkJob } from "workflow-control-plane"`), then run `workflow-control-plane typegen`',
      },
      {
        problem: "the entry module does not export NoteTaker (binding NOTES is untyped, and the Worker will not start)",
        fix: "export NoteTaker from the entry module, then run `workflow-control-plane typegen`",
      },
      {
        problem:
          "the entry module does not export ControlPlane (binding CONTROL_PLANE is untyped, and the Worker will not start)",
        fix: 'export ControlPlane from the entry module (`export { …, ControlPlane } from "workflow-control-plane"`), then run `workflow-control-plane typegen`',
      },
    ]);
    const generated = readFileSync("examples/team/worker-configuration.d.ts", "utf8");
    expect(unexportedClasses(generated, "acme-control-plane", reference)).toEqual([]);
  });
});

describe("workflow-control-plane deploy's flags", () => {
  it.for([
    [
      "a misspelt --dry-run, which must never deploy",
      ["--dryrun"],
      "deploy does not take --dryrun: it takes --dry-run and --plan free|paid",
    ],
    ["a plan that is none", ["--plan=toString"], "--plan takes free or paid, not toString"],
    ["--plan with nothing after it", ["--plan"], "--plan takes free or paid, not nothing"],
  ] as const)("refuses %s before doing anything", ([, flags, message], { expect }) => {
    const run = spawnSync(process.execPath, ["scripts/cli.ts", "deploy", ...flags], { encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(message);
  });
});
