import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { DeployedWorkflow } from "../../src/domain/deployed-workflow";
import { syncDeployedWorkflows } from "../../src/services/deployment";
import { createDeps, type Deps } from "../../src/services/deps";
import { listVersions } from "../../src/services/versions";
import { deleteWorkflow, getWorkflow, putWorkflow } from "../../src/services/workflows";
import { uniqueId } from "../helpers/api";

/** Services wired to this file's D1, with a binding table of the test's choosing. */
function depsDeploying(...deployed: DeployedWorkflow[]): Deps {
  return { ...createDeps(env), engines: { deployed, bindingFor: () => undefined } };
}

const page = { page: 1, perPage: 50 };

describe("syncDeployedWorkflows", () => {
  it("defines each bound workflow, as wrangler deploy would", async ({ expect }) => {
    const name = uniqueId("deployed");
    const deps = depsDeploying({
      name,
      binding: "X",
      className: "XWorkflow",
      scriptName: "x-worker",
      limits: { steps: 50 },
    });
    await syncDeployedWorkflows(deps);
    expect(await getWorkflow(deps, name)).toMatchObject({ name, class_name: "XWorkflow", script_name: "x-worker" });
    const { items } = await listVersions(deps, name, page);
    expect(items).toEqual([expect.objectContaining({ limits: { steps: 50 } })]);
  });

  it("leaves a workflow deleted through the API deleted until the binding config changes", async ({ expect }) => {
    const name = uniqueId("deleted");
    const binding = { name, binding: "X", className: "XWorkflow", scriptName: "x-worker" };
    const deps = depsDeploying(binding);
    await syncDeployedWorkflows(deps);
    await deleteWorkflow(deps, name);
    await syncDeployedWorkflows(deps);
    await expect(getWorkflow(deps, name)).rejects.toMatchObject({ code: 10200 });
    const redeployed = depsDeploying({ ...binding, className: "XWorkflowV2" });
    await syncDeployedWorkflows(redeployed);
    expect(await getWorkflow(redeployed, name)).toMatchObject({ class_name: "XWorkflowV2" });
  });

  it("takes the retention a workflow export declares, as wrangler deploy sends it", async ({ expect }) => {
    const name = uniqueId("exported");
    const deps = depsDeploying({
      name,
      exportName: "XWorkflow",
      className: "XWorkflow",
      scriptName: "x-worker",
      defaultRetention: { success_retention: "3 days", error_retention: 60_000 },
    });
    await syncDeployedWorkflows(deps);
    const { items } = await listVersions(deps, name, page);
    expect(items[0]).toMatchObject({
      class_name: "XWorkflow",
      default_retention: { success_retention: 3 * 86_400_000, error_retention: 60_000 },
    });
  });

  it("records a new version when the binding changes, keeping retention set through the API", async ({ expect }) => {
    const name = uniqueId("changed");
    const binding = { name, binding: "X", className: "XWorkflow", scriptName: "x-worker" };
    const deps = depsDeploying(binding);
    await syncDeployedWorkflows(deps);
    await putWorkflow(deps, name, {
      class_name: "XWorkflow",
      script_name: "x-worker",
      default_retention: { error_retention: 60_000 },
    });
    await syncDeployedWorkflows(depsDeploying({ ...binding, scriptName: "x-worker-2" }));
    const { items } = await listVersions(deps, name, page);
    expect(items).toHaveLength(3);
    expect(items[0]).toMatchObject({ script_name: "x-worker-2", default_retention: { error_retention: 60_000 } });
  });
});
