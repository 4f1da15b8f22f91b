import { env } from "cloudflare:workers";
import { beforeAll, describe, it } from "vitest";
import { workflows, workflowVersions } from "../../src/db/schema";
import { INSTANCE_STATUSES, type InstanceStatus, type TriggerSource } from "../../src/domain/instance-status";
import { type Labels, matchesSelector, parseSelector } from "../../src/domain/labels";
import { readTargets } from "../../src/index/directory";
import { createIndexAccess, type IndexAccess, reserveInIndex } from "../../src/index/workflow-index";
import { encodeCursor } from "../../src/lib/cursor";
import { createDeps, type Deps } from "../../src/services/deps";
import { type CountGroup, countInstances, type GroupDimension } from "../../src/services/instances/counts";
import { type InstanceListQuery, listInstances, readIndexAddress } from "../../src/services/instances/list";
import { uniqueId } from "../helpers/api";

/**
 * One workflow's index over many segments of three instances each, as `INDEX_SEGMENT_SIZE=3`
 * would split it: every list, total and grouped count below crosses segment boundaries, and is
 * checked against a model of what was created.
 */
const SEGMENT_SIZE = 3;
const COUNT = 20;
const CYCLE: InstanceStatus[] = ["queued", "running", "complete", "errored"];

type Created = {
  id: string;
  status: InstanceStatus;
  createdOn: number;
  labels: Labels | null;
  triggerSource: TriggerSource;
  expired: boolean;
};

let deps: Deps;
let name: string;
let workflowId: string;
let versionId: string;
const created: Created[] = [];

beforeAll(async () => {
  const index: IndexAccess = { segment: createIndexAccess(env).segment, segmentSize: SEGMENT_SIZE };
  deps = { ...createDeps(env), index };
  name = uniqueId("segmented");
  // The definition as a PUT leaves it, written here so only the index's reads are exercised.
  workflowId = crypto.randomUUID();
  versionId = crypto.randomUUID();
  const now = new Date();
  await deps.db.batch([
    deps.db.insert(workflows).values({
      id: workflowId,
      name,
      className: "C",
      scriptName: "s",
      versionId,
      createdOn: now,
      modifiedOn: now,
    }),
    deps.db
      .insert(workflowVersions)
      .values({ id: versionId, workflowId, className: "C", scriptName: "s", createdOn: now }),
  ]);
  const base = Date.now() - 3_600_000;
  for (let i = 0; i < COUNT; i++) {
    const status = CYCLE[i % CYCLE.length] ?? "queued";
    const labels: Labels | null =
      i % 3 === 0 ? { tenant: "acme" } : i % 3 === 1 ? { tenant: "globex", region: "eu" } : null;
    const finished = status === "complete" || status === "errored";
    // One finished instance whose retention ran out long ago: every read must leave it out.
    const expired = i === 6;
    const createdOn = base + i * 1_000;
    const row = {
      id: `inst-${String(i).padStart(2, "0")}`,
      versionId,
      status,
      triggerSource: (i % 2 === 0 ? "api" : "binding") as TriggerSource,
      createdOn: new Date(createdOn),
      modifiedOn: new Date(createdOn),
      startedOn: status === "queued" ? null : new Date(createdOn + 100),
      endedOn: finished ? new Date(createdOn + 500) : null,
      errorName: status === "errored" ? "Boom" : null,
      retention: expired ? { success_retention: 1 } : null,
      labels,
      params: null,
    };
    // One create at a time, as instances arrive: each fills the newest segment until it ends.
    const target = (await readTargets(deps.db, [name])).get(name);
    if (!target) throw new Error("the workflow has no index target");
    const reserved = await reserveInIndex(deps.db, index, target, [row]);
    if (reserved.reserved.length !== 1) throw new Error(`${row.id} was not reserved`);
    created.push({ id: row.id, status, createdOn, labels, triggerSource: row.triggerSource, expired });
  }
});

/** What a list of `filter` must hold, oldest first. */
function expected(
  filter: {
    status?: InstanceStatus | undefined;
    selector?: string | undefined;
    from?: number | undefined;
    to?: number | undefined;
  } = {},
) {
  const selector = filter.selector === undefined ? undefined : parseSelector(filter.selector);
  return created.filter(
    (instance) =>
      !instance.expired &&
      (filter.status === undefined || instance.status === filter.status) &&
      (selector === undefined || matchesSelector(instance.labels ?? {}, selector)) &&
      (filter.from === undefined || instance.createdOn >= filter.from) &&
      (filter.to === undefined || instance.createdOn <= filter.to),
  );
}

/** Every page of a list by cursor: the ids in order, and each page's result_info. */
async function walkByCursor(query: Omit<InstanceListQuery, "cursor" | "page">) {
  const ids: string[] = [];
  const infos = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 50; pages++) {
    const page = await listInstances(deps, name, { ...query, cursor });
    ids.push(...page.result.map((item) => item.id));
    infos.push(page.result_info);
    for (const item of page.result)
      if (item.workflow_id !== workflowId) throw new Error("workflow_id is not the workflow's");
    cursor = page.result_info.cursor;
    if (cursor === undefined) return { ids, infos };
  }
  throw new Error("the cursor never ended");
}

describe("a workflow's index over several segments", () => {
  it("spans several segments", async ({ expect }) => {
    const address = await readIndexAddress(deps.db, name);
    expect(address.segments.length).toBeGreaterThanOrEqual(Math.floor(COUNT / SEGMENT_SIZE));
    expect(address.segments.map((segment) => segment.startsOn)).toEqual(
      [...address.segments.map((segment) => segment.startsOn)].sort((a, b) => a - b),
    );
  });

  it.for(["desc", "asc"] as const)(
    "lists every live instance %s, by cursor across boundaries",
    async (direction, { expect }) => {
      const { ids, infos } = await walkByCursor({ direction, perPage: 4 });
      const oldestFirst = expected().map((instance) => instance.id);
      expect(ids).toEqual(direction === "asc" ? oldestFirst : [...oldestFirst].reverse());
      expect(infos.map((info) => info.count)).toEqual([4, 4, 4, 4, 3]);
      for (const info of infos) expect(info.total_count).toBe(COUNT - 1);
    },
  );

  it("resumes from a cursor issued before segments, and refuses one it did not issue", async ({ expect }) => {
    const live = expected();
    const from = live[9];
    if (!from) throw new Error("too few instances");
    const cursor = encodeCursor([from.createdOn, from.id, "desc"]);
    const listed = await listInstances(deps, name, { perPage: 5, cursor });
    expect(listed.result.map((item) => item.id)).toEqual(
      live
        .slice(4, 9)
        .map((instance) => instance.id)
        .reverse(),
    );
    await expect(listInstances(deps, name, { perPage: 5, cursor: encodeCursor([1, "x"]) })).rejects.toThrow(
      /not a cursor this API issued/,
    );
  });

  it("pages by offset across boundaries, with total_count and total_pages", async ({ expect }) => {
    const newestFirst = expected()
      .map((instance) => instance.id)
      .reverse();
    for (let page = 1; page <= 6; page++) {
      const listed = await listInstances(deps, name, { perPage: 4, page });
      expect(listed.result.map((item) => item.id)).toEqual(newestFirst.slice((page - 1) * 4, page * 4));
      expect(listed.result_info).toMatchObject({ page, per_page: 4, total_count: COUNT - 1, total_pages: 5 });
    }
    const oldestFirst = await listInstances(deps, name, { perPage: 5, page: 3, direction: "asc" });
    expect(oldestFirst.result.map((item) => item.id)).toEqual(
      expected()
        .slice(10, 15)
        .map((instance) => instance.id),
    );
  });

  it("filters by status and a selector across segments, with exact totals", async ({ expect }) => {
    for (const [status, selector] of [
      ["complete", "tenant=acme"],
      [undefined, "tenant in (acme,globex)"],
      ["errored", undefined],
      [undefined, "tenant=globex,region=eu"],
      [undefined, "!tenant"],
    ] as [InstanceStatus | undefined, string | undefined][]) {
      const want = expected({ status, selector }).map((instance) => instance.id);
      const query = { perPage: 2, status, labels: selector === undefined ? undefined : parseSelector(selector) };
      const { ids, infos } = await walkByCursor({ ...query, direction: "asc" });
      expect(ids, `${status} ${selector}`).toEqual(want);
      expect(infos[0]?.total_count, `${status} ${selector}`).toBe(want.length);
      const secondPage = await listInstances(deps, name, { ...query, page: 2 });
      expect(secondPage.result.map((item) => item.id)).toEqual([...want].reverse().slice(2, 4));
    }
  });

  it("narrows by creation dates to the segments that hold them", async ({ expect }) => {
    const from = created[4]?.createdOn ?? 0;
    const to = created[13]?.createdOn ?? 0;
    const want = expected({ from, to }).map((instance) => instance.id);
    const { ids, infos } = await walkByCursor({ perPage: 3, dateStart: new Date(from), dateEnd: new Date(to) });
    expect(ids).toEqual([...want].reverse());
    expect(infos[0]?.total_count).toBe(want.length);
  });

  it("sums grouped counts over the segments", async ({ expect }) => {
    const recount = (groupBy: GroupDimension[], selector?: string) => {
      const groups = new Map<string, Record<string, number>>();
      for (const instance of expected({ selector })) {
        const labels = instance.labels ?? {};
        const key = {
          ...(groupBy.some((dimension) => dimension.kind === "status") ? { status: instance.status } : {}),
          ...(groupBy.some((dimension) => dimension.kind === "version") ? { version_id: versionId } : {}),
          ...(groupBy.some((dimension) => dimension.kind === "label")
            ? { labels: { tenant: labels.tenant ?? null } }
            : {}),
        };
        const id = JSON.stringify(key);
        const counts = groups.get(id) ?? Object.fromEntries(INSTANCE_STATUSES.map((status) => [status, 0]));
        counts[instance.status] = (counts[instance.status] ?? 0) + 1;
        groups.set(id, counts);
      }
      return Object.fromEntries(groups);
    };
    const asMap = (groups: CountGroup[]) =>
      Object.fromEntries(groups.map((group) => [JSON.stringify(group.key), group.instances]));
    for (const [groupBy, selector, source] of [
      [[{ kind: "status" }], undefined, "counts"],
      [[{ kind: "label", key: "tenant" }], undefined, "counts"],
      [[{ kind: "status" }, { kind: "label", key: "tenant" }], "tenant=acme", "counts"],
      [[{ kind: "version" }, { kind: "status" }], undefined, "scan"],
      [[{ kind: "label", key: "tenant" }], "region=eu", "scan"],
    ] as [GroupDimension[], string | undefined, string][]) {
      const counts = await countInstances(deps, name, {
        groupBy,
        labels: selector === undefined ? undefined : parseSelector(selector),
      });
      expect(counts.source, JSON.stringify(groupBy)).toBe(source);
      expect(asMap(counts.groups), JSON.stringify(groupBy)).toEqual(recount(groupBy, selector));
    }
  });
});
