import { introspectWorkflowInstance } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { createDeps } from "../../src/services/deps";
import { expireInstances } from "../../src/services/retention/expiry";
import { expireOwnRecords } from "../../src/services/retention/own-records";
import { updateSettings } from "../../src/services/retention/settings";
import { api, audit, createInstance, errorOf, putWorkflow, uniqueId } from "../helpers/api";
import { eventually } from "../helpers/eventually";

const deps = createDeps(env);
const DAY = 86_400_000;

type Job = { id: string; status: string };
type Result = { instance_id: string; outcome: string };

async function finishedJob(workflow: string, jobId: string): Promise<Job> {
  return eventually(async () => {
    const job = (await api<Job>("GET", `/workflows/${workflow}/bulk/${jobId}`)).body.result;
    if (job.status === "queued" || job.status === "running") throw new Error(`still ${job.status}`);
    return job;
  }, 30_000);
}

/** Two complete hello-world instances kept 5 seconds, and a terminate job that skipped them. */
async function completedAndJob() {
  const ids = [uniqueId("kept-a"), uniqueId("kept-b")];
  for (const id of ids) {
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await createInstance("hello-world", { instance_id: id, instance_retention: { success_retention: 5_000 } });
    await instance.waitForStatus("complete");
    await api("GET", `/workflows/hello-world/instances/${id}`);
  }
  const submitted = await api<Job>("POST", "/workflows/hello-world/instances/bulk", {
    body: { action: "terminate", instance_ids: ids },
  });
  await finishedJob("hello-world", submitted.body.result.id);
  return { ids, jobId: submitted.body.result.id };
}

describe("expireOwnRecords", () => {
  it("drops the ledger rows of instances that expired, and keeps the job", async ({ expect }) => {
    const { ids, jobId } = await completedAndJob();
    const before = await api<Result[]>("GET", `/workflows/hello-world/bulk/${jobId}/results`);
    expect(before.body.result.map((result) => result.instance_id).sort()).toEqual([...ids].sort());

    await expireInstances(deps, { now: Date.now() + 10_000 });
    const after = await api<Result[]>("GET", `/workflows/hello-world/bulk/${jobId}/results`);
    expect(after.body.result).toEqual([]);
    expect((await api("GET", `/workflows/hello-world/bulk/${jobId}`)).status).toBe(200);
  });

  it("erases bulk jobs that ended longer ago than bulk_job_retention, ledger and all", async ({ expect }) => {
    const { jobId } = await completedAndJob();
    expect((await expireOwnRecords(deps, Date.now())).bulkJobs).toBe(0);
    expect((await api("GET", `/workflows/hello-world/bulk/${jobId}`)).status).toBe(200);

    await updateSettings(deps.db, { bulk_job_retention: DAY });
    const pass = await expireOwnRecords(deps, Date.now() + DAY + 1_000);
    expect(pass.bulkJobs).toBeGreaterThanOrEqual(1);
    expect(errorOf(await api("GET", `/workflows/hello-world/bulk/${jobId}`))).toMatchObject({
      status: 404,
      code: 10600,
    });
    await updateSettings(deps.db, { bulk_job_retention: 30 * DAY });
  });

  it("deletes audit records older than audit_retention, at most a batch at a time", async ({ expect }) => {
    const name = uniqueId("audited");
    await putWorkflow(name);
    await putWorkflow(name, { class_name: "Second" });
    expect(await audit(`workflow=${name}`)).toHaveLength(2);

    expect((await expireOwnRecords(deps, Date.now() + 89 * DAY)).auditRecords).toBe(0);
    expect(await audit(`workflow=${name}`)).toHaveLength(2);

    await updateSettings(deps.db, { audit_retention: DAY });
    const pass = await expireOwnRecords(deps, Date.now() + DAY + 1_000);
    expect(pass.auditRecords).toBeGreaterThanOrEqual(2);
    expect(await audit(`workflow=${name}`)).toEqual([]);
    await updateSettings(deps.db, { audit_retention: 90 * DAY });
  });
});
