/**
 * Scripted uses of every operation, each checking what the call did rather than only that it
 * answered: a token that verifies and then, revoked, does not; settings that read back as set;
 * the audit record of a change; an exposition the reference parser reads; a WebSocket that
 * streams an instance to its end; bulk jobs whose ledgers match, a dry run that does nothing, a
 * cancel that stops a job; labels the counts see; batch deletes that delete only what they name.
 */
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { type Call, type Client, resultOf } from "./client.ts";
import { type Fixtures, LIVE_WORKFLOW } from "./operations.ts";
import { listAll, until } from "./state.ts";

const ACCOUNT = "/client/v4/accounts/{account_id}";
const WORKFLOW = `${ACCOUNT}/workflows/{workflow_name}`;
const INSTANCES = `${WORKFLOW}/instances`;
const INSTANCE = `${INSTANCES}/{instance_id}`;
const live = { workflow_name: LIVE_WORKFLOW };

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

type Scenario = (client: Client, fixtures: Fixtures, origin: string) => Promise<void>;

/** The result of a call that must succeed with `status`. */
async function expectOk<T>(client: Client, operation: string, call: Call = {}, status = 200): Promise<T> {
  const answer = await client.send(operation, call);
  check(
    answer.status === status,
    `${operation} answered ${answer.status}, not ${status}: ${answer.text.slice(0, 300)}`,
  );
  return resultOf<T>(answer) as T;
}

async function expectStatus(client: Client, operation: string, call: Call, status: number): Promise<void> {
  const answer = await client.send(operation, call);
  check(
    answer.status === status,
    `${operation} answered ${answer.status}, not ${status}: ${answer.text.slice(0, 300)}`,
  );
}

async function createOrder(client: Client, id: string, labels: Record<string, string> = {}): Promise<void> {
  await expectOk(client, `POST ${INSTANCES}`, {
    params: live,
    body: { instance_id: id, params: { orderId: id, amount: 1 }, labels },
  });
}

const statusOf = async (client: Client, id: string) =>
  (
    await expectOk<{ status: string }>(client, `GET ${INSTANCE}`, {
      params: { ...live, instance_id: id },
      query: { simple: "true" },
    })
  ).status;

const tokens: Scenario = async (client, fixtures) => {
  const accounts = await expectOk<{ id: string }[]>(client, "GET /client/v4/accounts");
  check(
    accounts.some((account) => account.id === fixtures.accountId),
    "GET /accounts does not list the served account",
  );
  const made = await expectOk<{ id: string; value: string }>(client, `POST ${ACCOUNT}/tokens`, {
    body: { name: "fuzz scenario", permissions: ["read"], workflows: [LIVE_WORKFLOW] },
  });
  const verified = await expectOk<{ id: string; permissions: string[] }>(client, "GET /client/v4/user/tokens/verify", {
    token: made.value,
  });
  check(verified.id === made.id && verified.permissions.join() === "read", "the new token verifies as another");
  await expectOk(client, `GET ${ACCOUNT}/tokens/verify`, { token: made.value });
  const listed = await expectOk<{ id: string }[]>(client, `GET ${ACCOUNT}/tokens`, { query: { per_page: "50" } });
  check(
    listed.some((token) => token.id === made.id),
    "the new token is not listed",
  );
  const got = await expectOk<{ name: string }>(client, `GET ${ACCOUNT}/tokens/{token_id}`, {
    params: { token_id: made.id },
  });
  check(got.name === "fuzz scenario", "GET …/tokens/{id} gives another token");
  const visible = await expectOk<{ name: string }[]>(client, `GET ${ACCOUNT}/workflows`, { token: made.value });
  check(visible.map((w) => w.name).join() === LIVE_WORKFLOW, `a token scoped to ${LIVE_WORKFLOW} sees other workflows`);
  const revoked = await expectOk<{ status: string }>(client, `DELETE ${ACCOUNT}/tokens/{token_id}`, {
    params: { token_id: made.id },
  });
  check(revoked.status === "revoked", "DELETE …/tokens/{id} did not revoke");
  // 429 once the refusals have used up the minute's allowance of requests with bad tokens.
  const afterRevoke = await client.send("GET /client/v4/user/tokens/verify", { token: made.value });
  check([401, 429].includes(afterRevoke.status), `a revoked token answered ${afterRevoke.status}`);
};

const settingsAndAudit: Scenario = async (client) => {
  type Settings = { bulk_job_retention: number };
  const before = await expectOk<Settings>(client, `GET ${ACCOUNT}/workflows/settings`);
  const changed = await expectOk<Settings>(client, `PATCH ${ACCOUNT}/workflows/settings`, {
    body: { bulk_job_retention: "9 days" },
  });
  check(changed.bulk_job_retention === 9 * 86_400_000, "PATCH settings did not set bulk_job_retention");
  const read = await expectOk<Settings>(client, `GET ${ACCOUNT}/workflows/settings`);
  check(read.bulk_job_retention === 9 * 86_400_000, "GET settings does not show the change");
  await expectOk(client, `PATCH ${ACCOUNT}/workflows/settings`, {
    body: { bulk_job_retention: before.bulk_job_retention },
  });
  const restored = await expectOk<Settings>(client, `GET ${ACCOUNT}/workflows/settings`);
  check(JSON.stringify(restored) === JSON.stringify(before), "settings were not restored");
  const records = await expectOk<{ action: string; status: number; detail: unknown }[]>(
    client,
    `GET ${ACCOUNT}/audit`,
    {
      query: { outcome: "success", per_page: "20" },
    },
  );
  const settingsRecords = records.filter((record) => record.action.includes("settings"));
  check(
    settingsRecords.length >= 2,
    `the audit trail lacks the settings changes: ${JSON.stringify(records.slice(0, 3))}`,
  );
};

const metrics: Scenario = async (client, fixtures) => {
  const expected = fixtures.live.length + fixtures.disposable.length + fixtures.kept.length;
  const text = await client.send(`GET ${ACCOUNT}/metrics`, {});
  check(text.status === 200 && (text.headers.get("content-type") ?? "").startsWith("text/plain"), "no Prometheus text");
  const created = parsePrometheusTextFormat(text.text).find(
    (family) => family.name === "workflow_instances_created_total",
  );
  const sample = created?.metrics.find((metric) => metric.labels?.workflow === LIVE_WORKFLOW);
  check(Number(sample?.value) >= expected, `workflow_instances_created_total is ${sample?.value}, below ${expected}`);
  const open = await client.send(`GET ${ACCOUNT}/metrics`, {
    token: fixtures.readToken,
    headers: { Accept: "application/openmetrics-text; version=1.0.0" },
  });
  check(
    open.status === 200 && open.text.trimEnd().endsWith("# EOF"),
    "the OpenMetrics exposition does not end in # EOF",
  );
  const overview = await expectOk<{ workflows: { workflow: string }[] }>(client, `GET ${ACCOUNT}/metrics/overview`);
  check(
    overview.workflows.some((row) => row.workflow === LIVE_WORKFLOW),
    "the overview lacks order-approval",
  );
  await expectOk(client, `GET ${WORKFLOW}/metrics`, { params: live, query: { bucket: "1m", group_by: "version" } });
  await expectOk(client, `GET ${WORKFLOW}/metrics/steps`, { params: live });
  await expectOk(client, `GET ${WORKFLOW}/metrics/errors`, { params: live });
};

const workflowsAndVersions: Scenario = async (client, fixtures) => {
  const listed = await expectOk<{ name: string }[]>(client, `GET ${ACCOUNT}/workflows`);
  check(
    listed.some((w) => w.name === LIVE_WORKFLOW),
    "the workflow list lacks order-approval",
  );
  await expectOk(client, `GET ${WORKFLOW}`, { params: live });
  const scratch = { workflow_name: "fuzz-scenario" };
  const versions = async () =>
    (await expectOk<unknown[]>(client, `GET ${WORKFLOW}/versions`, { params: scratch })).length;
  await expectOk(client, `PUT ${WORKFLOW}`, { params: scratch, body: { class_name: "A", script_name: "fuzz" } });
  await expectOk(client, `PUT ${WORKFLOW}`, { params: scratch, body: { class_name: "A", script_name: "fuzz" } });
  check((await versions()) === 1, "an identical PUT recorded a version");
  await expectOk(client, `PUT ${WORKFLOW}`, { params: scratch, body: { class_name: "B", script_name: "fuzz" } });
  check((await versions()) === 2, "a changed class_name recorded no version");
  await expectOk(client, `DELETE ${WORKFLOW}`, { params: scratch });
  await expectStatus(client, `GET ${WORKFLOW}`, { params: scratch }, 404);
  const version = { ...live, version_id: fixtures.versionId };
  const got = await expectOk<{ id: string }>(client, `GET ${WORKFLOW}/versions/{version_id}`, { params: version });
  check(got.id === fixtures.versionId, "GET …/versions/{id} gives another version");
  await expectOk(client, `GET ${WORKFLOW}/versions/{version_id}/graph`, { params: version });
  await expectOk(client, `GET ${WORKFLOW}/versions/{version_id}/dag`, { params: version });
};

/** Reads an instance's event stream over a WebSocket, opened with a subscribe token, until it closes. */
async function stream(client: Client, origin: string, accountId: string, id: string, whileOpen: () => Promise<void>) {
  const params = { ...live, instance_id: id };
  const minted = await expectOk<{ token: string }>(client, `GET ${INSTANCE}/subscribe/token`, { params });
  const url = new URL(
    `${origin}/client/v4/accounts/${accountId}/workflows/${LIVE_WORKFLOW}/instances/${id}/subscribe?token=${encodeURIComponent(minted.token)}`,
  );
  url.protocol = "ws:";
  const socket = new WebSocket(url);
  const types: string[] = [];
  const closed = new Promise<number>((resolve, reject) => {
    socket.addEventListener("message", (message) =>
      types.push((JSON.parse(String(message.data)) as { type: string }).type),
    );
    socket.addEventListener("close", (close) => resolve(close.code));
    socket.addEventListener("error", () => reject(new Error(`the stream of ${id} failed`)));
  });
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve());
    socket.addEventListener("error", () => reject(new Error(`the stream of ${id} did not open`)));
  });
  client.record(`GET ${INSTANCE}/subscribe`, 101);
  await whileOpen();
  const code = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 30_000))]);
  if (code === -1) socket.close();
  return { code, types };
}

const instances: Scenario = async (client, fixtures, origin) => {
  const id = "sc-stream";
  await createOrder(client, id, { kind: "s" });
  await until(
    () => statusOf(client, id),
    (status) => status === "waiting",
    `${id} waits for its event`,
  );
  const step = await expectOk<{ status: string; output: unknown }>(client, `GET ${INSTANCE}/step`, {
    params: { ...live, instance_id: id },
    query: { name: "validate order-1", type: "step" },
  });
  check(step.status === "complete" && JSON.stringify(step.output).includes(id), "the step output lacks the order");
  const { code, types } = await stream(client, origin, fixtures.accountId, id, async () => {
    await expectOk(client, `POST ${INSTANCE}/events/{event_type}`, {
      params: { ...live, instance_id: id, event_type: "approval" },
      body: { approved: true },
    });
  });
  check(code === 1000 && types.at(-1) === "workflow_completed", `the stream closed ${code} after ${types.join()}`);

  const paused = "sc-pause";
  await createOrder(client, paused);
  const change = (status: string) =>
    expectOk<{ status: string }>(client, `PATCH ${INSTANCE}/status`, {
      params: { ...live, instance_id: paused },
      body: { status },
    });
  await change("pause");
  await until(
    () => statusOf(client, paused),
    (status) => status === "paused",
    `${paused} pauses`,
  );
  await change("resume");
  await until(
    () => statusOf(client, paused),
    (status) => status !== "paused",
    `${paused} resumes`,
  );
  await change("terminate");
  await until(
    () => statusOf(client, paused),
    (status) => status === "terminated",
    `${paused} terminates`,
  );

  const labels = await expectOk<{ labels: Record<string, string> }>(client, `PATCH ${INSTANCES}/{instance_id}/labels`, {
    params: { ...live, instance_id: paused },
    body: { set: { kind: "p", extra: "x" }, remove: ["tier"] },
  });
  check(
    JSON.stringify(Object.entries(labels.labels).sort(([a], [b]) => a.localeCompare(b))) ===
      JSON.stringify([
        ["extra", "x"],
        ["kind", "p"],
      ]),
    `labels became ${JSON.stringify(labels)}`,
  );
  const listed = await listAll(client, LIVE_WORKFLOW, "sc-");
  check(listed.find((item) => item.id === paused)?.labels.kind === "p", "the list does not show the new label");
  type Groups = { groups: { key: { labels?: Record<string, string | null> }; instances: Record<string, number> }[] };
  const counts = await expectOk<Groups>(client, `GET ${INSTANCES}/counts`, {
    params: live,
    query: { group_by: "label:kind", id_prefix: "sc-" },
  });
  const inGroup = (kind: string) =>
    Object.values(counts.groups.find((group) => group.key.labels?.kind === kind)?.instances ?? {}).reduce(
      (a, b) => a + b,
      0,
    );
  check(inGroup("p") === 1 && inGroup("s") === 1, `the counts by label are ${JSON.stringify(counts)}`);
  const total = counts.groups.flatMap((group) => Object.values(group.instances)).reduce((a, b) => a + b, 0);
  check(total === listed.length, `the counts total ${total}, the list ${listed.length}`);

  const made = await expectOk<{ id: string }[]>(client, `POST ${INSTANCES}/batch`, {
    params: live,
    body: [{ instance_id: "sc-b1" }, { instance_id: "sc-b2", params: { orderId: "b", amount: 1 } }],
  });
  check(made.length === 2, "the batch did not create both");
  const again = await expectOk<{ created: unknown[]; errors: { code: number }[] }>(client, `POST ${INSTANCES}/batch`, {
    params: live,
    body: { instances: [{ instance_id: "sc-b1" }] },
  });
  check(again.created.length === 0 && again.errors[0]?.code === 10405, "a repeated id was created again");
  const deleted = await expectOk<{ deleted: { id: string }[]; errors: unknown[] }>(
    client,
    `POST ${INSTANCES}/batch/delete`,
    {
      params: live,
      body: { instances: ["sc-b1", "sc-b2", "sc-none"] },
    },
  );
  check(deleted.deleted.length === 2 && deleted.errors.length === 1, `batch delete: ${JSON.stringify(deleted)}`);
  await expectStatus(client, `GET ${INSTANCE}`, { params: { ...live, instance_id: "sc-b1" } }, 404);
  await expectOk(client, `DELETE ${INSTANCE}`, { params: { ...live, instance_id: paused } });
  await expectStatus(client, `GET ${INSTANCE}`, { params: { ...live, instance_id: paused } }, 404);
  await expectOk(client, `GET ${INSTANCE}`, { params: { ...live, instance_id: id } });
};

type Job = { id: string; status: string; total: number; succeeded: number; skipped: number; pending: number };

async function settled(client: Client, jobId: string): Promise<Job> {
  return until(
    () => expectOk<Job>(client, `GET ${WORKFLOW}/bulk/{job_id}`, { params: { ...live, job_id: jobId } }),
    (job) => !["queued", "running"].includes(job.status),
    `bulk job ${jobId} ends`,
  );
}

const bulk: Scenario = async (client, fixtures) => {
  const ids = ["bk-0", "bk-1", "bk-2", "bk-3"];
  for (const id of ids) await createOrder(client, id);
  const jobsBefore = (
    await expectOk<Job[]>(client, `GET ${WORKFLOW}/bulk`, { params: live, query: { per_page: "50" } })
  ).length;
  const preview = await expectOk<{ total: number; would_act: number }>(client, `POST ${INSTANCES}/bulk`, {
    params: live,
    body: { action: "pause", instance_ids: ids, dry_run: true },
  });
  check(preview.total === 4, `the dry run previews ${JSON.stringify(preview)}`);
  const jobsAfterDryRun = (
    await expectOk<Job[]>(client, `GET ${WORKFLOW}/bulk`, { params: live, query: { per_page: "50" } })
  ).length;
  check(jobsAfterDryRun === jobsBefore, "a dry run stored a job");
  check(!["paused", "waitingForPause"].includes(await statusOf(client, "bk-0")), "a dry run paused an instance");

  const job = await expectOk<Job>(
    client,
    `POST ${INSTANCES}/bulk`,
    { params: live, body: { action: "pause", instance_ids: ids } },
    202,
  );
  fixtures.jobIds.push(job.id);
  const done = await settled(client, job.id);
  check(
    done.status === "complete" && done.succeeded + done.skipped === 4,
    `the pause job ended ${JSON.stringify(done)}`,
  );
  const ledger = await expectOk<{ instance_id: string; outcome: string }[]>(
    client,
    `GET ${WORKFLOW}/bulk/{job_id}/results`,
    {
      params: { ...live, job_id: job.id },
    },
  );
  check(ledger.map((row) => row.instance_id).join() === ids.join(), `the ledger holds ${JSON.stringify(ledger)}`);
  const jobs = await expectOk<Job[]>(client, `GET ${WORKFLOW}/bulk`, { params: live });
  check(jobs[0]?.id === job.id, "the newest job is not listed first");
  await expectStatus(client, `POST ${WORKFLOW}/bulk/{job_id}/cancel`, { params: { ...live, job_id: job.id } }, 409);

  const slow = [...ids, "fuzz-0", "fuzz-1", "fuzz-2", "fuzz-3", "fuzz-4", "fuzz-5"];
  const throttled = await expectOk<Job>(
    client,
    `POST ${INSTANCES}/bulk`,
    { params: live, body: { action: "resume", instance_ids: slow, max_per_second: 1 } },
    202,
  );
  const cancelled = await expectOk<Job>(client, `POST ${WORKFLOW}/bulk/{job_id}/cancel`, {
    params: { ...live, job_id: throttled.id },
  });
  check(cancelled.id === throttled.id, "cancel answered with another job");
  const after = await settled(client, throttled.id);
  check(
    after.status === "cancelled" && after.succeeded < slow.length,
    `the cancelled job ended ${JSON.stringify(after)}`,
  );

  const terminated = await expectOk<{ instancesTerminated: number }>(client, `POST ${INSTANCES}/batch/terminate`, {
    params: live,
    raw: JSON.stringify(["bk-0"]),
  });
  check(terminated.instancesTerminated === 1, "batch terminate counted another number");
  await until(
    () => statusOf(client, "bk-0"),
    (status) => status === "terminated",
    "bk-0 terminates",
  );
  await expectOk(client, `PATCH ${INSTANCE}/status`, {
    params: { ...live, instance_id: "bk-1" },
    body: { status: "pause" },
  });
  await until(
    () => statusOf(client, "bk-1"),
    (status) => status === "paused",
    "bk-1 pauses",
  );
  await expectOk(client, `PUT ${INSTANCES}/terminate`, { params: live, query: { status: "paused" } });
  await until(
    async () => (await expectOk<{ status: string }>(client, `GET ${INSTANCES}/terminate`, { params: live })).status,
    (status) => status === "not_running",
    "the terminate-all job ends",
  );
  await until(
    () => statusOf(client, "bk-1"),
    (status) => status === "terminated",
    "terminate-all terminates bk-1",
  );
};

export const SCENARIOS: Record<string, Scenario> = {
  "accounts and tokens": tokens,
  "settings and audit": settingsAndAudit,
  metrics,
  "workflows and versions": workflowsAndVersions,
  "instances, stream, labels, counts, batches": instances,
  "bulk jobs": bulk,
};

/** Runs each scenario in turn; a failed check is recorded with the scenario's name. */
export async function runScenarios(client: Client, fixtures: Fixtures, origin: string): Promise<void> {
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    try {
      await scenario(client, fixtures, origin);
      console.log(`  scenario ${name}: ok`);
    } catch (error) {
      client.fail(`scenario ${name}: ${error instanceof Error ? error.message : String(error)}`);
      console.log(`  scenario ${name}: FAILED`);
    }
  }
}
