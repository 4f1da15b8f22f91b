import { introspectWorkflow } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { BULK_ACTIONS } from "../../src/db/schema";
import { api, createInstance, errorOf, uniqueId } from "../helpers/api";
import { countsAndRecount, engineStatus, indexedStatus } from "../helpers/counts";
import { eventually } from "../helpers/eventually";

type Job = {
  id: string;
  action: string;
  options: unknown;
  status: string;
  kind: string;
  total: number;
  succeeded: number;
  skipped: number;
  failed: number;
  pending: number;
  filter: unknown;
  ids_count: number | null;
  started_on: string | null;
  ended_on: string | null;
};
type Result = {
  instance_id: string;
  outcome: string;
  reason: string | null;
  status_before: string | null;
  status_after: string | null;
};

const ORDER = { orderId: "bulk", amount: 3 };

/** Order-approval instances waiting for their approval (sleeps disabled). */
async function waitingOrders(count: number, prefix = uniqueId("orders")): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, index) => `${prefix}-${index}`);
  for (const id of ids) await createInstance("order-approval", { instance_id: id, params: ORDER });
  return ids;
}

async function submit(body: unknown, headers: Record<string, string> = {}) {
  return api<Job>("POST", "/workflows/order-approval/instances/bulk", { body, headers });
}

async function finished(jobId: string, workflow = "order-approval"): Promise<Job> {
  return eventually(async () => {
    const job = (await api<Job>("GET", `/workflows/${workflow}/bulk/${jobId}`)).body.result;
    if (job.status === "queued" || job.status === "running") throw new Error(`still ${job.status}`);
    return job;
  }, 30_000);
}

async function allResults(jobId: string, query = "", workflow = "order-approval"): Promise<Result[]> {
  const results: Result[] = [];
  let cursor: string | undefined;
  do {
    const page = await api<Result[]>(
      "GET",
      `/workflows/${workflow}/bulk/${jobId}/results?per_page=7${query}${cursor ? `&cursor=${cursor}` : ""}`,
    );
    results.push(...page.body.result);
    cursor = page.body.result_info?.cursor;
  } while (cursor);
  return results;
}

async function statusOf(id: string): Promise<string> {
  return (await api<{ status: string }>("GET", `/workflows/order-approval/instances/${id}`)).body.result.status;
}

describe("POST /workflows/:workflow_name/instances/bulk", () => {
  it("terminates the instances it names, recording each one's before and after", async ({ expect }) => {
    await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
    const ids = await waitingOrders(5);
    const response = await submit({ action: "terminate", instance_ids: ids });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    expect(response.body.result).toMatchObject({ kind: "bulk", total: 5, ids_count: 5, filter: null });
    const job = await finished(response.body.result.id);
    expect(job).toMatchObject({ status: "complete", succeeded: 5, skipped: 0, failed: 0, pending: 0 });
    const results = await allResults(job.id);
    expect(results.map((result) => result.instance_id)).toEqual(ids);
    for (const result of results) {
      expect(result).toMatchObject({ outcome: "succeeded", status_after: "terminated" });
      // What the index last had: nothing yet, for instances this fresh.
      expect([null, "queued", "running", "waiting"]).toContain(result.status_before);
    }
    for (const id of ids) expect(await statusOf(id)).toBe("terminated");
    const listed = await api<{ id: string }[]>(
      "GET",
      "/workflows/order-approval/instances?status=terminated&per_page=100",
    );
    expect(listed.body.result.map((instance) => instance.id)).toEqual(expect.arrayContaining(ids));
  });

  it("brings the index up to date for what it changed, with no read by id", async ({ expect }) => {
    await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
    const ids = await waitingOrders(4);
    const { id: workflowId } = (await api<{ id: string }>("GET", "/workflows/order-approval")).body.result;
    // Read once, so that the index is current and nothing else is left to sync them (the sweep,
    // which the first request started, has run by then; the next one is an hour away).
    for (const id of ids) await statusOf(id);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const response = await submit({ action: "pause", instance_ids: ids });
    const job = await finished(response.body.result.id);
    expect(job).toMatchObject({ status: "complete", succeeded: 4 });
    for (const id of ids) {
      const status = await eventually(async () => {
        const indexed = await indexedStatus(workflowId, id);
        if (indexed !== "paused" && indexed !== "waitingForPause") throw new Error(`${id} is ${indexed} in the index`);
        return indexed;
      });
      expect(status).toBe(await engineStatus(env.ORDER_APPROVAL, id));
    }
    for (const [status, kept, recounted] of await countsAndRecount(workflowId)) expect(kept, status).toBe(recounted);
  });

  it("resolves a filter to the instances it matches when the job is accepted", async ({ expect }) => {
    await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
    const prefix = uniqueId("window");
    const early = await waitingOrders(3, prefix);
    const start = (await api<{ queued: string }>("GET", `/workflows/order-approval/instances/${early[0]}`)).body.result
      .queued;
    const end = (await api<{ queued: string }>("GET", `/workflows/order-approval/instances/${early[2]}`)).body.result
      .queued;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const late = await waitingOrders(2, `${prefix}-late`);
    const response = await submit({ action: "pause", filter: { date_start: start, date_end: end } });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    expect(response.body.result).toMatchObject({
      total: 3,
      ids_count: null,
      filter: { date_start: start, date_end: end },
    });
    const job = await finished(response.body.result.id);
    expect(job.succeeded + job.skipped).toBe(3);
    expect((await allResults(job.id)).map((result) => result.instance_id).sort()).toEqual([...early].sort());
    for (const id of early) expect(["paused", "waitingForPause"]).toContain(await statusOf(id));
    for (const id of late) expect(["paused", "waitingForPause"]).not.toContain(await statusOf(id));
  });

  it("skips instances that have finished or do not exist, with the reason", async ({ expect }) => {
    await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
    const [waiting] = await waitingOrders(1);
    const errored = uniqueId("errored");
    await createInstance("order-approval", { instance_id: errored, params: { orderId: "" } });
    await eventually(async () => expect(await statusOf(errored)).toBe("errored"));
    const response = await submit({ action: "terminate", instance_ids: [waiting, errored, "never-existed"] });
    const job = await finished(response.body.result.id);
    expect(job).toMatchObject({ succeeded: 1, skipped: 2, failed: 0, total: 3 });
    const results = await allResults(job.id);
    expect(results).toEqual([
      expect.objectContaining({ instance_id: waiting, outcome: "succeeded" }),
      expect.objectContaining({
        instance_id: errored,
        outcome: "skipped",
        reason: "already errored",
        status_before: "errored",
      }),
      expect.objectContaining({ instance_id: "never-existed", outcome: "skipped", reason: "not found" }),
    ]);
    expect(await allResults(job.id, "&outcome=skipped")).toHaveLength(2);
    expect(await allResults(job.id, "&outcome=failed")).toEqual([]);
  });

  it("pages results with a cursor and counts them", async ({ expect }) => {
    const ids = Array.from({ length: 23 }, (_, index) => `missing-${index}`);
    const response = await submit({ action: "resume", instance_ids: ids });
    const job = await finished(response.body.result.id);
    expect(job).toMatchObject({ total: 23, skipped: 23 });
    const first = await api<Result[]>("GET", `/workflows/order-approval/bulk/${job.id}/results?per_page=10`);
    expect(first.body.result).toHaveLength(10);
    expect(first.body.result_info).toMatchObject({ count: 10, total_count: 23 });
    expect(typeof first.body.result_info?.cursor).toBe("string");
    expect((await allResults(job.id)).map((result) => result.instance_id)).toEqual(ids);
  });

  it("returns the same job for a retried submission with the same Idempotency-Key", async ({ expect }) => {
    const body = { action: "terminate", instance_ids: [uniqueId("idem")] };
    const key = uniqueId("key");
    const first = await submit(body, { "Idempotency-Key": key });
    const retried = await submit(body, { "Idempotency-Key": key });
    expect(retried.status).toBe(202);
    expect(retried.body.result.id).toBe(first.body.result.id);
    const other = await submit(body, { "Idempotency-Key": uniqueId("key") });
    expect(other.body.result.id).not.toBe(first.body.result.id);
    const misuse = errorOf(await submit({ ...body, action: "pause" }, { "Idempotency-Key": key }));
    expect(misuse).toMatchObject({ status: 409, code: 10610 });
    const jobs = await api<Job[]>("GET", "/workflows/order-approval/bulk?per_page=100");
    expect(jobs.body.result.filter((job) => job.id === first.body.result.id)).toHaveLength(1);
  });

  it("lets overlapping jobs share instances, each terminated exactly once", async ({ expect }) => {
    await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
    const ids = await waitingOrders(6);
    const [a, b] = await Promise.all([
      submit({ action: "terminate", instance_ids: ids }),
      submit({ action: "terminate", instance_ids: [...ids].reverse() }),
    ]);
    const jobs = await Promise.all([finished(a.body.result.id), finished(b.body.result.id)]);
    const succeeded = [...(await allResults(jobs[0].id)), ...(await allResults(jobs[1].id))].filter(
      (result) => result.outcome === "succeeded",
    );
    expect(succeeded.map((result) => result.instance_id).sort()).toEqual([...ids].sort());
    expect(jobs[0].skipped + jobs[1].skipped).toBe(6);
  });

  it("cancels before the next item, skipping what is left as cancelled", async ({ expect }) => {
    const ids = Array.from({ length: 3000 }, (_, index) => `absent-${index}`);
    const response = await submit({ action: "terminate", instance_ids: ids });
    const cancelled = await api<Job>("POST", `/workflows/order-approval/bulk/${response.body.result.id}/cancel`);
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    const job = await finished(response.body.result.id);
    expect(job.status).toBe("cancelled");
    expect(job.succeeded + job.skipped + job.failed).toBe(3000);
    const cancelledItems = (await allResults(job.id, "&outcome=skipped")).filter(
      (result) => result.reason === "job cancelled",
    );
    expect(cancelledItems.length).toBeGreaterThan(0);
    expect(errorOf(await api("POST", `/workflows/order-approval/bulk/${job.id}/cancel`))).toMatchObject({
      status: 409,
      code: 10609,
    });
  });

  it("narrows by every filter the list takes: id prefix, version, trigger source", async ({ expect }) => {
    await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
    const prefix = uniqueId("narrow");
    const targets = await waitingOrders(3, prefix);
    const others = await waitingOrders(2, `${prefix.replace("narrow", "wide")}`);
    const listed = await api<{ version_id: string }[]>(
      "GET",
      `/workflows/order-approval/instances?id_prefix=${prefix}`,
    );
    const version_id = listed.body.result[0]?.version_id;
    const filter = { id_prefix: `${prefix}-`, version_id, trigger_source: "api" };
    const response = await submit({ action: "pause", filter });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    expect(response.body.result).toMatchObject({ total: 3, filter });
    const job = await finished(response.body.result.id);
    expect((await allResults(job.id)).map((result) => result.instance_id).sort()).toEqual([...targets].sort());
    for (const id of others) expect(["paused", "waitingForPause"]).not.toContain(await statusOf(id));
    // An error name no instance has matches none of them.
    const none = await submit({ action: "pause", filter: { id_prefix: `${prefix}-`, error_name: "NoSuchError" } });
    expect(none.body.result.total).toBe(0);
  });

  it.for(BULK_ACTIONS)(
    "refuses a %s job with a filter key it does not know, naming the key",
    async (action, { expect }) => {
      const before = (await api<Job[]>("GET", "/workflows/order-approval/bulk")).body.result_info?.total_count;
      for (const body of [
        { action, filter: { label: "tenant=globex" } },
        { action, filter: { status: "running", statuss: "errored" } },
        { action, instance_ids: ["a"], dryrun: true },
      ]) {
        const error = errorOf(await submit(body));
        expect(error, JSON.stringify(body)).toMatchObject({ status: 400, code: 10002 });
        const unknown = Object.keys(body.filter ?? body).find(
          (key) => !["action", "status", "instance_ids"].includes(key),
        );
        expect(error.message).toContain(unknown);
      }
      expect((await api<Job[]>("GET", "/workflows/order-approval/bulk")).body.result_info?.total_count).toBe(before);
    },
  );

  it.for([
    ["both ids and a filter", { action: "terminate", instance_ids: ["a"], filter: {} }],
    ["an unknown action", { action: "explode", instance_ids: ["a"] }],
    ["no ids", { action: "terminate", instance_ids: [] }],
    ["10,001 ids", { action: "terminate", instance_ids: Array.from({ length: 10_001 }, (_, i) => `i${i}`) }],
    ["an invalid id", { action: "terminate", instance_ids: ["semi;colon"] }],
    ["a filter with an unknown status", { action: "pause", filter: { status: "sleepy" } }],
  ] as const)("refuses %s with 400 and starts nothing", async ([, body], { expect }) => {
    const before = (await api<Job[]>("GET", "/workflows/order-approval/bulk")).body.result_info?.total_count;
    expect(errorOf(await submit(body))).toMatchObject({ status: 400, code: 10002 });
    expect((await api<Job[]>("GET", "/workflows/order-approval/bulk")).body.result_info?.total_count).toBe(before);
  });
});

describe("POST …/instances/bulk: restart, send_event, delete, terminate with rollback", () => {
  it("restarts every target, finished or not, and from a step when given one", async ({ expect }) => {
    await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
    const ids = await waitingOrders(3);
    await api("PATCH", `/workflows/order-approval/instances/${ids[0]}/status`, { body: { status: "terminate" } });
    const response = await submit({ action: "restart", instance_ids: ids, from: { name: "reserve inventory" } });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    expect(response.body.result).toMatchObject({ action: "restart", options: { from: { name: "reserve inventory" } } });
    const job = await finished(response.body.result.id);
    expect(job).toMatchObject({ succeeded: 3, skipped: 0, failed: 0 });
    const results = await allResults(job.id);
    expect(results.find((result) => result.instance_id === ids[0])).toMatchObject({ status_before: "terminated" });
    // The terminated one runs again; every one reaches its approval wait anew.
    for (const id of ids) {
      await eventually(async () => {
        const status = await engineStatus(env.ORDER_APPROVAL, id);
        if (status !== "running" && status !== "waiting") throw new Error(`${id} is ${status}`);
      }, 15_000);
    }
  });

  it("sends the event to every unfinished target and skips the finished", async ({ expect }) => {
    await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
    const [first, second, finishedOne] = await waitingOrders(3);
    await api("PATCH", `/workflows/order-approval/instances/${finishedOne}/status`, {
      body: { status: "terminate" },
    });
    const event = { type: "approval", payload: { approved: true } };
    const response = await submit({ action: "send_event", instance_ids: [first, second, finishedOne], event });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    const job = await finished(response.body.result.id);
    expect(job).toMatchObject({ succeeded: 2, skipped: 1, failed: 0 });
    const skipped = (await allResults(job.id, "&outcome=skipped"))[0];
    expect(skipped).toMatchObject({ instance_id: finishedOne, reason: "already terminated" });
    for (const id of [first, second].filter((id) => id !== undefined)) {
      await eventually(async () => {
        const status = await engineStatus(env.ORDER_APPROVAL, id);
        if (status !== "complete") throw new Error(`${id} is ${status}`);
      }, 15_000);
    }
  });

  it("deletes the targets from the engine, the index and the counts", async ({ expect }) => {
    await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
    const ids = await waitingOrders(3);
    const response = await submit({ action: "delete", instance_ids: [...ids, "never-existed"] });
    const job = await finished(response.body.result.id);
    expect(job).toMatchObject({ succeeded: 3, skipped: 1, failed: 0 });
    for (const id of ids) {
      expect(await engineStatus(env.ORDER_APPROVAL, id)).toBeNull();
      expect(errorOf(await api("GET", `/workflows/order-approval/instances/${id}`))).toMatchObject({ status: 404 });
    }
    const { id: workflowId } = (await api<{ id: string }>("GET", "/workflows/order-approval")).body.result;
    for (const [status, kept, recounted] of await countsAndRecount(workflowId)) expect(kept, status).toBe(recounted);
  });

  it("terminates with rollback when asked", async ({ expect }) => {
    await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
    const ids = await waitingOrders(2);
    const response = await submit({ action: "terminate", instance_ids: ids, rollback: true });
    expect(response.body.result.options).toEqual({ rollback: true });
    const job = await finished(response.body.result.id);
    expect(job).toMatchObject({ succeeded: 2, failed: 0 });
    for (const id of ids) {
      await eventually(async () => {
        const status = await engineStatus(env.ORDER_APPROVAL, id);
        if (status !== "terminated") throw new Error(`${id} is ${status}`);
      }, 15_000);
    }
  });

  it("paces a job to max_per_second across its chunks", async ({ expect }) => {
    await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
    const ids = await waitingOrders(6);
    const response = await submit({ action: "pause", instance_ids: ids, max_per_second: 2 });
    expect(response.body.result.options).toEqual({ max_per_second: 2 });
    const job = await finished(response.body.result.id);
    expect(job).toMatchObject({ succeeded: 6, failed: 0 });
    // Two a second: the third pair starts two seconds after the first (unpaced: one chunk).
    const started = Date.parse(job.started_on ?? "");
    const ended = Date.parse(job.ended_on ?? "");
    expect(ended - started).toBeGreaterThanOrEqual(2_000);
  });

  it.for([
    ["a pace of 0", { action: "pause", instance_ids: ["a"], max_per_second: 0 }, "max_per_second"],
    ["rollback with pause", { action: "pause", instance_ids: ["a"], rollback: true }, "rollback"],
    ["from with terminate", { action: "terminate", instance_ids: ["a"], from: { name: "x" } }, "from"],
    ["event with resume", { action: "resume", instance_ids: ["a"], event: { type: "approval" } }, "event"],
    ["send_event without an event", { action: "send_event", instance_ids: ["a"] }, "event"],
    ["an event type with a space", { action: "send_event", instance_ids: ["a"], event: { type: "a b" } }, "event"],
    ["an unknown key in from", { action: "restart", instance_ids: ["a"], from: { name: "x", step: 1 } }, "step"],
  ] as const)("refuses %s with 400 naming it, and starts nothing", async ([, body, named], { expect }) => {
    const before = (await api<Job[]>("GET", "/workflows/order-approval/bulk")).body.result_info?.total_count;
    const error = errorOf(await submit(body));
    expect(error).toMatchObject({ status: 400, code: 10002 });
    expect(error.message).toContain(named);
    expect((await api<Job[]>("GET", "/workflows/order-approval/bulk")).body.result_info?.total_count).toBe(before);
  });
});

describe("POST …/instances/bulk with dry_run", () => {
  type Preview = {
    total: number;
    sample: { id: string; status: string | null; outcome: string; reason?: string }[];
    would_act: number;
    would_skip: number;
    steps_estimate?: number;
    cost_estimate_usd?: number;
  };

  it("previews a terminate by filter: the frozen count, a sample with verdicts, nothing done", async ({ expect }) => {
    await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
    const prefix = uniqueId("preview");
    const ids = await waitingOrders(3, prefix);
    await api("PATCH", `/workflows/order-approval/instances/${ids[2]}/status`, { body: { status: "terminate" } });
    const jobsBefore = (await api<Job[]>("GET", "/workflows/order-approval/bulk")).body.result_info?.total_count;
    const response = await api<Preview>("POST", "/workflows/order-approval/instances/bulk", {
      body: { action: "terminate", filter: { id_prefix: `${prefix}-` }, dry_run: true },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.result).toMatchObject({ total: 3, would_act: 2, would_skip: 1 });
    expect(response.body.result.steps_estimate).toBeUndefined();
    expect(response.body.result.sample).toContainEqual({
      id: ids[2],
      status: "terminated",
      outcome: "skip",
      reason: "already terminated",
    });
    expect(
      response.body.result.sample
        .filter((item) => item.outcome === "act")
        .map((item) => item.id)
        .sort(),
    ).toEqual(ids.slice(0, 2).sort());
    expect((await api<Job[]>("GET", "/workflows/order-approval/bulk")).body.result_info?.total_count).toBe(jobsBefore);
    for (const id of ids.slice(0, 2)) expect(await statusOf(id)).not.toBe("terminated");
  });

  it("previews a restart with the steps it would run again and their price", async ({ expect }) => {
    await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
    const ids = await waitingOrders(2);
    // Each has run validate order and reserve inventory, and sleeps or waits: its log says so.
    const logged = await Promise.all(
      ids.map(
        async (id) =>
          (await api<{ steps: unknown[] }>("GET", `/workflows/order-approval/instances/${id}`)).body.result.steps
            .length,
      ),
    );
    const response = await api<Preview>("POST", "/workflows/order-approval/instances/bulk", {
      body: { action: "restart", instance_ids: [...ids, "never-existed"], dry_run: true },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const preview = response.body.result;
    expect(preview).toMatchObject({ total: 3, would_act: 2, would_skip: 1 });
    expect(preview.sample).toContainEqual({ id: "never-existed", status: null, outcome: "skip", reason: "not found" });
    expect(preview.steps_estimate).toBe(logged.reduce((sum, n) => sum + n, 0));
    expect(preview.cost_estimate_usd).toBe(Math.round((preview.steps_estimate ?? 0) * 0.000008 * 100) / 100);

    // From a step: only that step and the ones after it would run again.
    const from = await api<Preview>("POST", "/workflows/order-approval/instances/bulk", {
      body: { action: "restart", instance_ids: ids, from: { name: "reserve inventory" }, dry_run: true },
    });
    expect(from.body.result.steps_estimate).toBe((preview.steps_estimate ?? 0) - ids.length);
  });
});

describe("GET /workflows/:workflow_name/bulk", () => {
  it("lists jobs newest first, and 404s an unknown job", async ({ expect }) => {
    const first = await submit({ action: "pause", instance_ids: [uniqueId("x")] });
    const second = await submit({ action: "pause", instance_ids: [uniqueId("y")] });
    const jobs = await api<Job[]>("GET", "/workflows/order-approval/bulk?per_page=100");
    const ids = jobs.body.result.map((job) => job.id);
    expect(ids.indexOf(second.body.result.id)).toBeLessThan(ids.indexOf(first.body.result.id));
    expect(errorOf(await api("GET", `/workflows/order-approval/bulk/${crypto.randomUUID()}`))).toMatchObject({
      status: 404,
      code: 10600,
    });
    expect(errorOf(await api("GET", `/workflows/hello-world/bulk/${first.body.result.id}`))).toMatchObject({
      status: 404,
    });
  });
});

describe("Cloudflare's terminate endpoints", () => {
  it("POST /instances/batch/terminate terminates up to 100 through a job", async ({ expect }) => {
    await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
    const ids = await waitingOrders(3);
    const response = await api<{ instancesTerminated: number; status: string }>(
      "POST",
      "/workflows/order-approval/instances/batch/terminate",
      { body: ids },
    );
    expect(response.body.result).toEqual({ instancesTerminated: 3, status: "ok" });
    await eventually(async () => {
      for (const id of ids) expect(await statusOf(id)).toBe("terminated");
    });
    const tooMany = Array.from({ length: 101 }, (_, index) => `id-${index}`);
    expect(
      errorOf(await api("POST", "/workflows/order-approval/instances/batch/terminate", { body: tooMany })),
    ).toMatchObject({ status: 400 });
  });

  it("PUT /instances/terminate runs one terminate-all at a time, visible in GET and terminator_running", async ({
    expect,
  }) => {
    await using _ = await introspectWorkflow(env.ORDER_APPROVAL);
    const ids = await waitingOrders(40);
    const first = await api<{ status: string }>("PUT", "/workflows/order-approval/instances/terminate");
    const second = await api<{ status: string }>("PUT", "/workflows/order-approval/instances/terminate");
    expect(first.body.result).toEqual({ status: "ok" });
    expect(second.body.result).toEqual({ status: "already_running" });
    const during = await api<{ status: string }>("GET", "/workflows/order-approval/instances/terminate");
    const workflow = await api<{ terminator_running: number }>("GET", "/workflows/order-approval");
    if (during.body.result.status === "running") expect(workflow.body.result.terminator_running).toBe(1);
    await eventually(async () => {
      const state = await api<{ status: string }>("GET", "/workflows/order-approval/instances/terminate");
      expect(state.body.result).toEqual({ status: "not_running" });
    }, 30_000);
    for (const id of ids) expect(await statusOf(id)).toBe("terminated");
    expect(
      (await api<{ terminator_running: number }>("GET", "/workflows/order-approval")).body.result.terminator_running,
    ).toBe(0);
  });
});
