import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { seededRandom } from "../../scripts/lib/random";
import { INSTANCE_STATUSES, type InstanceStatus } from "../../src/domain/instance-status";
import { type Labels, matchesSelector, parseSelector } from "../../src/domain/labels";
import { readTargets } from "../../src/index/directory";
import type { InstanceRow } from "../../src/index/segment";
import type { SummaryUpdate } from "../../src/index/summaries";
import { findInIndex, releaseFromIndex, reserveInIndex, writeToIndex } from "../../src/index/workflow-index";
import { createDeps, type Deps } from "../../src/services/deps";
import { type CountGroup, countInstances, type GroupDimension, SCAN_LIMIT } from "../../src/services/instances/counts";
import { patchLabels } from "../../src/services/instances/labels";
import { listInstances } from "../../src/services/instances/list";
import { putWorkflow } from "../../src/services/workflows";
import { uniqueId } from "../helpers/api";
import { addressOf, inEachSegment } from "../helpers/segments";

const TENANTS = ["acme", "globex", "initech"];
const REGIONS = ["eu", "us"];

/** An index row as a create writes it, with the caller's labels. */
async function indexInstance(deps: Deps, name: string, id: string, labels: Labels | null) {
  const target = (await readTargets(deps.db, [name])).get(name);
  if (!target) throw new Error(`no workflow ${name}`);
  const now = new Date();
  await reserveInIndex(deps.db, deps.index, target, [
    {
      id,
      versionId: target.config.versionId,
      status: "queued",
      triggerSource: "api",
      params: null,
      createdOn: now,
      modifiedOn: now,
      labels,
    },
  ]);
}

/** Every index row of a workflow, over its segments. */
async function indexRows(deps: Deps, name: string) {
  const rows = await inEachSegment<Record<string, SqlStorageValue>>(
    deps,
    name,
    "SELECT id, status, version_id, trigger_source, labels FROM instances",
  );
  return rows.map((row) => ({
    id: String(row.id),
    status: row.status as InstanceStatus,
    versionId: String(row.version_id),
    triggerSource: String(row.trigger_source),
    labels: typeof row.labels === "string" ? (JSON.parse(row.labels) as Labels) : null,
  }));
}

function summary(workflowName: string, id: string, revision: number, status: InstanceStatus, params: unknown = null) {
  const now = Date.now();
  return {
    workflowName,
    instanceId: id,
    revision,
    status,
    startedOn: now,
    endedOn: null,
    errorName: null,
    errorShape: null,
    at: now,
    createdOn: now,
    triggerSource: "unknown",
    params: params === null ? null : JSON.stringify(params),
  } satisfies SummaryUpdate;
}

/** What the counts should be, recounted from every index row in TypeScript. */
async function recount(
  deps: Deps,
  name: string,
  groupBy: GroupDimension[],
  selector?: string,
  filter: { status?: InstanceStatus; triggerSource?: string } = {},
) {
  const rows = await indexRows(deps, name);
  const parsed = selector === undefined ? undefined : parseSelector(selector);
  const groups = new Map<string, Record<string, number>>();
  for (const row of rows) {
    const labels = row.labels ?? {};
    if (parsed && !matchesSelector(labels, parsed)) continue;
    if (filter.status && row.status !== filter.status) continue;
    if (filter.triggerSource && row.triggerSource !== filter.triggerSource) continue;
    const has = (kind: GroupDimension["kind"]) => groupBy.some((dimension) => dimension.kind === kind);
    const labelKeys = groupBy.flatMap((dimension) => (dimension.kind === "label" ? [dimension.key] : []));
    const key = {
      ...(has("status") ? { status: row.status } : {}),
      ...(has("version") ? { version_id: row.versionId } : {}),
      ...(labelKeys.length > 0
        ? { labels: Object.fromEntries(labelKeys.map((label) => [label, labels[label] ?? null])) }
        : {}),
    };
    const id = JSON.stringify(key);
    const counts = groups.get(id) ?? Object.fromEntries(INSTANCE_STATUSES.map((status) => [status, 0]));
    counts[row.status] = (counts[row.status] ?? 0) + 1;
    groups.set(id, counts);
  }
  return Object.fromEntries(groups);
}

function byKey(groups: CountGroup[]) {
  return Object.fromEntries(groups.map((group) => [JSON.stringify(group.key), group.instances]));
}

describe("grouped counts", () => {
  it.for([1, 2, 3])(
    "equal a recount after random label changes and transitions (seed %i)",
    async (seed, { expect }) => {
      const deps = createDeps(env);
      const name = uniqueId("label-counts");
      await putWorkflow(deps, name, { class_name: "C", script_name: "s" });
      const next = seededRandom(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
      const ids = Array.from({ length: 24 }, (_, index) => `instance-${index}`);
      const revisions = new Map<string, number>();
      const randomLabels = (): Labels | null => {
        if (next() < 0.2) return null;
        return { tenant: pick(TENANTS), ...(next() < 0.5 ? { region: pick(REGIONS) } : {}) };
      };

      for (let step = 0; step < 250; step++) {
        const id = pick(ids);
        const roll = next();
        const address = await addressOf(deps, name);
        const exists = await findInIndex(deps.index, address, id);
        if (!exists) {
          await indexInstance(deps, name, id, randomLabels());
        } else if (roll < 0.1) {
          await releaseFromIndex(deps.index, address, [id]);
          revisions.delete(id);
        } else if (roll < 0.45) {
          const remove = next() < 0.3 ? [pick(["tenant", "region"])] : undefined;
          const set = next() < 0.8 ? { [pick(["tenant", "region"])]: pick([...TENANTS, ...REGIONS]) } : undefined;
          if (set && remove?.some((key) => key in set)) continue;
          await patchLabels(deps, name, id, { set: set ?? (remove ? undefined : { tenant: "acme" }), remove });
        } else {
          const revision = (revisions.get(id) ?? 0) + 1;
          revisions.set(id, revision);
          await writeToIndex(deps.db, deps.index, [summary(name, id, revision, pick(INSTANCE_STATUSES))]);
        }
      }

      type Filter = { status?: InstanceStatus; triggerSource?: "unknown" };
      const cases: [GroupDimension[], string | undefined, "counts" | "scan", Filter?][] = [
        [[{ kind: "label", key: "tenant" }], undefined, "counts", { status: "running" }],
        [[{ kind: "status" }], "tenant in (acme,globex)", "counts", { status: "errored" }],
        [[{ kind: "label", key: "tenant" }], undefined, "scan", { triggerSource: "unknown" }],
        [[{ kind: "status" }], undefined, "counts"],
        [[{ kind: "label", key: "tenant" }], undefined, "counts"],
        [[{ kind: "label", key: "tenant" }, { kind: "status" }], undefined, "counts"],
        [[{ kind: "label", key: "region" }], "region in (eu,us)", "counts"],
        [[{ kind: "status" }], "tenant=acme", "counts"],
        [[{ kind: "status" }], "tenant", "counts"],
        [[{ kind: "label", key: "tenant" }], "region=eu", "scan"],
        [
          [
            { kind: "label", key: "tenant" },
            { kind: "label", key: "region" },
          ],
          undefined,
          "scan",
        ],
        [[{ kind: "version" }, { kind: "status" }], "tenant!=acme", "scan"],
        [[{ kind: "status" }], "!region", "scan"],
      ];
      for (const [groupBy, selector, source, filter] of cases) {
        const result = await countInstances(deps, name, {
          groupBy,
          labels: selector === undefined ? undefined : parseSelector(selector),
          ...filter,
        });
        const label = `${JSON.stringify(groupBy)} ${selector ?? ""} ${JSON.stringify(filter ?? {})}`;
        expect(result.source, label).toBe(source);
        expect(byKey(result.groups), label).toEqual(await recount(deps, name, groupBy, selector, filter));
      }
    },
  );

  it("refuses a grouping the counts cannot answer past the scan limit, and answers the others", async ({ expect }) => {
    const deps = createDeps(env);
    const name = uniqueId("scan-limit");
    const workflow = await putWorkflow(deps, name, { class_name: "C", script_name: "s" });
    // Straight into the first segment, triggers and all: more rows than one request would carry.
    const address = await addressOf(deps, name);
    await runInDurableObject(deps.index.segment(address, 0), (_, state) => {
      state.storage.sql.exec(
        `INSERT INTO instances (id, version_id, status, trigger_source, created_on, modified_on, labels)
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         SELECT 'row-' || i, ?, 'complete', 'api', i, i, CASE WHEN i % 2 = 0 THEN '{"tenant":"acme"}' END FROM n`,
        SCAN_LIMIT,
        workflow.version_id,
      );
    });
    await expect(countInstances(deps, name, { groupBy: [{ kind: "version" }] })).rejects.toThrow(
      /more than 100,000 instances match/,
    );
    const byTenant = await countInstances(deps, name, { groupBy: [{ kind: "label", key: "tenant" }] });
    expect(byTenant.source).toBe("counts");
    expect(byKey(byTenant.groups)).toMatchObject({
      '{"labels":{"tenant":"acme"}}': { complete: SCAN_LIMIT / 2 + 1 },
      '{"labels":{"tenant":null}}': { complete: SCAN_LIMIT / 2 },
    });
  });
});

describe("label paths", () => {
  it("label instances from their params, also those first seen through the engine's events", async ({ expect }) => {
    const deps = createDeps(env);
    const name = uniqueId("label-paths");
    const workflow = await putWorkflow(deps, name, {
      class_name: "C",
      script_name: "s",
      label_paths: { tenant: "$.__dispatcherMetadata.tenantId", order: "$.orderId", express: "$.shipping.express" },
    });
    // Created behind the API's back: the journal indexes it on first sight, with its params.
    const params = { __dispatcherMetadata: { tenantId: "acme" }, orderId: 1042, shipping: { express: true } };
    await writeToIndex(deps.db, deps.index, [summary(name, "behind-the-back", 1, "running", params)]);
    // Values that are not strings, numbers or booleans give no label.
    await writeToIndex(deps.db, deps.index, [
      summary(name, "nested", 1, "running", { orderId: { id: 1 }, shipping: null }),
    ]);

    const list = await listInstances(deps, name, { perPage: 10, labels: parseSelector("tenant=acme") });
    expect(list.result.map((item) => [item.id, item.labels])).toEqual([
      ["behind-the-back", { express: "true", order: "1042", tenant: "acme" }],
    ]);
    const nested: InstanceRow | undefined = (await findInIndex(deps.index, await addressOf(deps, name), "nested"))?.row;
    expect(nested?.labels ?? null).toBeNull();
    // A later summary of the same instance leaves its labels as they are.
    await writeToIndex(deps.db, deps.index, [summary(name, "behind-the-back", 2, "complete", params)]);
    const counts = await countInstances(deps, name, { groupBy: [{ kind: "label", key: "tenant" }] });
    expect(counts.groups.find((group) => group.key.labels?.tenant === "acme")?.instances.complete).toBe(1);
    expect(workflow.label_paths).toEqual({
      tenant: "$.__dispatcherMetadata.tenantId",
      order: "$.orderId",
      express: "$.shipping.express",
    });
  });
});
