import { introspectWorkflowInstance } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import { createDeps } from "../../src/services/deps";
import { expireInstances } from "../../src/services/retention/expiry";
import { ACCOUNT, api, createInstance, TOKEN, uniqueId } from "../helpers/api";

const deps = createDeps(env);

type Counts = Record<string, number>;
type CountGroups = { groups: { key: { labels?: Record<string, string | null> }; instances: Counts }[] };
type Workflow = { name: string; instances: Counts };

/** How many instances of a count group's answer are complete, summed over its groups. */
function complete(answer: CountGroups): number {
  return answer.groups.reduce((sum, group) => sum + (group.instances.complete ?? 0), 0);
}

/** The gauge of hello-world's complete instances in the account's exposition. */
async function gauge(): Promise<number> {
  const response = await exports.default.fetch(`https://control-plane.test/client/v4/accounts/${ACCOUNT}/metrics`, {
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  const line = (await response.text())
    .split("\n")
    .find((sample) => sample.startsWith('workflow_instances{workflow="hello-world",status="complete"}'));
  return Number(line?.split(" ").at(-1) ?? 0);
}

/** What every read of the index says about one tenant's instances, and about all of the workflow's. */
async function everyRead(id: string, tenant: string) {
  const selector = `labels=tenant%3D${tenant}`;
  // A read by id first: it brings the index up to date with the engine, as the sweep would.
  const byId = await api("GET", `/workflows/hello-world/instances/${id}`);
  const [listed, completeList, countsByStatus, countsByVersion, countsByLabel, workflow, workflows, preview] =
    await Promise.all([
      api<{ id: string }[]>("GET", `/workflows/hello-world/instances?${selector}`),
      api("GET", "/workflows/hello-world/instances?status=complete&per_page=1"),
      api<CountGroups>("GET", `/workflows/hello-world/instances/counts?group_by=status&${selector}`),
      api<CountGroups>("GET", `/workflows/hello-world/instances/counts?group_by=version&${selector}`),
      api<CountGroups>("GET", "/workflows/hello-world/instances/counts?group_by=label:tenant"),
      api<Workflow>("GET", "/workflows/hello-world"),
      api<Workflow[]>("GET", "/workflows?per_page=100"),
      api<{ total: number }>("POST", "/workflows/hello-world/instances/bulk", {
        body: { action: "delete", filter: { labels: `tenant=${tenant}` }, dry_run: true },
      }),
    ]);
  const tenantGroup = countsByLabel.body.result.groups.find((group) => group.key.labels?.tenant === tenant);
  return {
    tenant: {
      get: byId.status,
      listed: listed.body.result.map((summary) => summary.id),
      listTotal: listed.body.result_info?.total_count,
      countedByStatus: complete(countsByStatus.body.result),
      countedByVersion: complete(countsByVersion.body.result),
      countedByLabel: tenantGroup?.instances.complete ?? 0,
      bulkPreview: preview.body.result.total,
    },
    workflow: {
      listTotal: completeList.body.result_info?.total_count,
      workflowCounts: workflow.body.result.instances.complete,
      workflowsListCounts: workflows.body.result.find((each) => each.name === "hello-world")?.instances.complete,
      gauge: await gauge(),
    },
  };
}

describe("an instance past its retention, before the retention pass has run", () => {
  it("is gone from GET, lists, counts, the exposition and bulk selections alike", async ({ expect }) => {
    const id = uniqueId("brief");
    const tenant = uniqueId("tenant");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await createInstance("hello-world", {
      instance_id: id,
      labels: { tenant },
      instance_retention: { success_retention: "1 second" },
    });
    await instance.waitForStatus("complete");
    const kept = await everyRead(id, tenant);
    expect(kept.tenant).toEqual({
      get: 200,
      listed: [id],
      listTotal: 1,
      countedByStatus: 1,
      countedByVersion: 1,
      countedByLabel: 1,
      bulkPreview: 1,
    });

    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const expired = await everyRead(id, tenant);
    const one = (count: number | undefined) => (count ?? 0) - 1;
    expect(expired.tenant).toEqual({
      get: 404,
      listed: [],
      listTotal: 0,
      countedByStatus: 0,
      countedByVersion: 0,
      countedByLabel: 0,
      bulkPreview: 0,
    });
    expect(expired.workflow).toEqual({
      listTotal: one(kept.workflow.listTotal),
      workflowCounts: one(kept.workflow.workflowCounts),
      workflowsListCounts: one(kept.workflow.workflowsListCounts),
      gauge: one(kept.workflow.gauge),
    });

    // The pass then removes what every read already left out: nothing moves.
    expect((await expireInstances(deps)).map((gone) => gone.id)).toContain(id);
    expect(await everyRead(id, tenant)).toEqual(expired);
  });
});
