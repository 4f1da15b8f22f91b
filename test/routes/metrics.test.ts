import { introspectWorkflowInstance } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, it } from "vitest";
import { api, BASE, createInstance, errorOf, mintToken, TOKEN, uniqueId } from "../helpers/api";
import { eventually } from "../helpers/eventually";

type Bucket = { start: string; created: number; completed: number; errored: number; error_rate: number | null };
type Series = { bucket: string; buckets: Bucket[] };

async function scrape(token: string, accept?: string) {
  return exports.default.fetch(`${BASE}/metrics`, {
    headers: { Authorization: `Bearer ${token}`, ...(accept ? { Accept: accept } : {}) },
  });
}

describe("GET /workflows/:workflow_name/metrics", () => {
  it("counts an instance that ran on the engine, from creation to its end", async ({ expect }) => {
    const id = uniqueId("measured");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await createInstance("hello-world", { instance_id: id, params: { name: "metrics" } });
    await instance.waitForStatus("complete");
    // A read brings the index (and so the metrics) up to the engine's events.
    await api("GET", `/workflows/hello-world/instances/${id}`);
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const result = await eventually(async () => {
      const response = await api<Series>("GET", `/workflows/hello-world/metrics?bucket=1m&since=${since}`);
      const totals = response.body.result.buckets.reduce(
        (sum, bucket) => ({ created: sum.created + bucket.created, completed: sum.completed + bucket.completed }),
        { created: 0, completed: 0 },
      );
      if (totals.completed < 1) throw new Error("not yet counted");
      return { response, totals };
    });
    expect(result.response.body.result.bucket).toBe("1m");
    expect(result.response.body.result.buckets.length).toBeGreaterThanOrEqual(60);
    expect(result.totals.created).toBeGreaterThanOrEqual(1);
  });

  it.for([
    ["an unknown bucket", "bucket=5m"],
    ["more than 2,000 buckets", "bucket=1h&since=2026-01-01T00:00:00Z&until=2026-05-01T00:00:00Z"],
    ["minutes older than they are kept", "bucket=1m&since=2026-01-01T00:00:00Z&until=2026-01-01T01:00:00Z"],
    ["since after until", "since=2026-03-01T00:00:00Z&until=2026-01-01T00:00:00Z"],
    ["an unknown grouping", "group_by=tenant"],
  ] as const)("refuses %s with 400", async ([, query], { expect }) => {
    expect(errorOf(await api("GET", `/workflows/hello-world/metrics?${query}`))).toMatchObject({
      status: 400,
      code: 10002,
    });
  });

  it("answers 404 for a workflow that does not exist", async ({ expect }) => {
    expect(errorOf(await api("GET", `/workflows/${uniqueId("none")}/metrics`))).toMatchObject({
      status: 404,
      code: 10200,
    });
  });
});

describe("GET /workflows/:workflow_name/metrics/steps", () => {
  it("counts the failed attempt of the step that ended a run, and the run it ended", async ({ expect }) => {
    const id = uniqueId("invalid-order");
    await using instance = await introspectWorkflowInstance(env.ORDER_APPROVAL, id);
    await createInstance("order-approval", { instance_id: id, params: { orderId: "x", amount: -1 } });
    await instance.waitForStatus("errored");
    await api("GET", `/workflows/order-approval/instances/${id}`);
    type Steps = { steps: { step: string; attempts: number; failed_attempts: number; instances_failed: number }[] };
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const validate = await eventually(async () => {
      const response = await api<Steps>("GET", `/workflows/order-approval/metrics/steps?bucket=1m&since=${since}`);
      const step = response.body.result.steps.find((each) => each.step === "validate order");
      if (!step || step.instances_failed < 1) throw new Error("not yet counted");
      return step;
    });
    expect(validate.failed_attempts).toBeGreaterThanOrEqual(1);
    expect(validate.attempts).toBeGreaterThanOrEqual(validate.failed_attempts);
    const errors = await api<{ name: string; message: string; example_instance_id: string }[]>(
      "GET",
      "/workflows/order-approval/metrics/errors",
    );
    expect(errors.body.result.map((group) => group.message)).toContain("params.amount must be a positive number");
  });
});

describe("GET /metrics", () => {
  it("serves OpenMetrics when asked and Prometheus text otherwise, to a metrics-only token and no further", async ({
    expect,
  }) => {
    const scraper = await mintToken({ name: "prometheus", permissions: ["metrics"] });
    const token = scraper.value ?? "";
    const open = await scrape(token, "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
    expect(open.status).toBe(200);
    expect(open.headers.get("Content-Type")).toContain("application/openmetrics-text");
    expect((await open.text()).endsWith("# EOF\n")).toBe(true);
    const text = await scrape(token);
    expect(text.headers.get("Content-Type")).toContain("text/plain; version=0.0.4");
    const families = parsePrometheusTextFormat(await text.text());
    expect(families.map((family) => family.name)).toEqual([
      "workflow_instances_created_total",
      "workflow_instances_started_total",
      "workflow_instances_finished_total",
      "workflow_instances",
    ]);
    expect(families[3]?.metrics.some((sample) => sample.labels?.workflow === "hello-world")).toBe(true);

    // The same token reads the JSON metrics, but nothing else.
    expect((await api("GET", "/workflows/hello-world/metrics", { token })).status).toBe(200);
    expect((await api("GET", "/metrics/overview", { token })).status).toBe(200);
    expect(errorOf(await api("GET", "/workflows/hello-world/instances", { token })).status).toBe(403);
    expect(errorOf(await api("GET", "/workflows", { token })).status).toBe(403);
    // Without a valid token, nothing.
    expect((await scrape("not-a-token")).status).toBe(401);
    expect((await scrape(TOKEN)).status).toBe(200);
  });

  it("keeps a token scoped to workflows to their metrics", async ({ expect }) => {
    const scoped = await mintToken({ name: "team-metrics", permissions: ["metrics"], workflows: ["order-approval"] });
    const token = scoped.value ?? "";
    expect((await api("GET", "/workflows/order-approval/metrics", { token })).status).toBe(200);
    expect(errorOf(await api("GET", "/workflows/hello-world/metrics", { token })).status).toBe(403);
    const families = parsePrometheusTextFormat(await (await scrape(token)).text());
    const named = new Set(families.flatMap((family) => family.metrics.map((sample) => sample.labels?.workflow)));
    expect([...named]).toEqual(["order-approval"]);
    const overview = await api<{ workflows: { workflow: string }[] }>("GET", "/metrics/overview", { token });
    expect(overview.body.result.workflows.map((row) => row.workflow)).toEqual(["order-approval"]);
  });
});
