import { describe, it } from "vitest";
import { api, errorOf, putWorkflow, uniqueId } from "../helpers/api";

type Workflow = {
  id: string;
  name: string;
  class_name: string;
  script_name: string;
  triggered_on: string | null;
  instances: Record<string, number>;
};

describe("GET /workflows", () => {
  it("lists the workflows this deployment binds without anyone calling PUT", async ({ expect }) => {
    const response = await api<Workflow[]>("GET", "/workflows?per_page=100");
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const names = response.body.result.map((workflow) => workflow.name);
    expect(names).toEqual(expect.arrayContaining(["hello-world", "order-approval"]));
    const hello = response.body.result.find((workflow) => workflow.name === "hello-world");
    expect(hello).toMatchObject({ class_name: "HelloWorldWorkflow", script_name: "workflow-control-plane" });
    expect(Object.keys(hello?.instances ?? {}).sort()).toEqual(
      [
        "complete",
        "errored",
        "paused",
        "queued",
        "rollingBack",
        "running",
        "terminated",
        "waiting",
        "waitingForPause",
      ].sort(),
    );
  });

  it("pages by name with page and per_page, defaulting to 10", async ({ expect }) => {
    const prefix = uniqueId("page");
    for (const suffix of ["a", "b", "c"]) await putWorkflow(`${prefix}-${suffix}`);
    const first = await api<Workflow[]>("GET", `/workflows?search=${prefix}&per_page=2`);
    const second = await api<Workflow[]>("GET", `/workflows?search=${prefix}&per_page=2&page=2`);
    const third = await api<Workflow[]>("GET", `/workflows?search=${prefix}&per_page=2&page=3`);
    expect(first.body.result.map((w) => w.name)).toEqual([`${prefix}-a`, `${prefix}-b`]);
    expect(first.body.result_info).toEqual({ page: 1, per_page: 2, count: 2, total_count: 3, total_pages: 2 });
    expect(second.body.result.map((w) => w.name)).toEqual([`${prefix}-c`]);
    expect(third.body.result).toEqual([]);
    const defaults = await api<Workflow[]>("GET", "/workflows");
    expect(defaults.body.result_info?.per_page).toBe(10);
  });

  it("matches search anywhere in the name, taking _ literally", async ({ expect }) => {
    const base = uniqueId("srch");
    await putWorkflow(`${base}_x`);
    await putWorkflow(`${base}-y`);
    const response = await api<Workflow[]>("GET", `/workflows?search=${base}_`);
    expect(response.body.result.map((w) => w.name)).toEqual([`${base}_x`]);
  });

  it.for([
    ["per_page=0", "query.per_page"],
    ["per_page=101", "query.per_page"],
    ["per_page=ten", "query.per_page"],
    ["page=0", "query.page"],
    ["search=has%20space", "query.search"],
  ])("refuses %s with 400 naming %s", async ([query, field], { expect }) => {
    const error = errorOf(await api("GET", `/workflows?${query}`));
    expect(error).toMatchObject({ status: 400, code: 10002 });
    expect(error.message).toContain(field);
  });
});

describe("GET /workflows/:workflow_name", () => {
  it("returns the workflow with exact counts per status", async ({ expect }) => {
    const response = await api<Workflow>("GET", "/workflows/order-approval");
    expect(response.status).toBe(200);
    expect(response.body.result).toMatchObject({ name: "order-approval", class_name: "OrderApprovalWorkflow" });
  });

  it("answers 404 with code 10200 for an unknown workflow", async ({ expect }) => {
    const error = errorOf(await api("GET", "/workflows/no-such-workflow"));
    expect(error).toMatchObject({ status: 404, code: 10200 });
    expect(error.message).toContain("no-such-workflow");
  });

  it.for(["bad name", "-leading-dash", "x".repeat(65)])("refuses the name %j with 400", async (name, { expect }) => {
    const error = errorOf(await api("GET", `/workflows/${encodeURIComponent(name)}`));
    expect(error).toMatchObject({ status: 400, code: 10002 });
    expect(error.message).toContain("path.workflow_name");
  });
});

describe("PUT /workflows/:workflow_name", () => {
  it("creates a workflow with a first version", async ({ expect }) => {
    const name = uniqueId("put");
    const response = await api<Workflow & { version_id: string; is_deleted: number }>("PUT", `/workflows/${name}`, {
      body: { class_name: "BillingWorkflow", script_name: "billing-worker", limits: { steps: 500 } },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.result).toMatchObject({
      name,
      class_name: "BillingWorkflow",
      script_name: "billing-worker",
      is_deleted: 0,
      terminator_running: 0,
      triggered_on: null,
    });
    const versions = await api<{ id: string; limits: unknown }[]>("GET", `/workflows/${name}/versions`);
    expect(versions.body.result).toEqual([
      expect.objectContaining({ id: response.body.result.version_id, limits: { steps: 500 } }),
    ]);
  });

  it("keeps the version when nothing changes and adds one when something does", async ({ expect }) => {
    const name = uniqueId("ver");
    const first = await putWorkflow(name, { class_name: "A" });
    const same = await putWorkflow(name, { class_name: "A" });
    const changed = await putWorkflow(name, { class_name: "A", default_retention: { success_retention: "1 day" } });
    expect(same.version_id).toBe(first.version_id);
    expect(same.id).toBe(first.id);
    expect(changed.version_id).not.toBe(first.version_id);
    expect(changed.id).toBe(first.id);
    const versions = await api<{ id: string; default_retention?: unknown }[]>("GET", `/workflows/${name}/versions`);
    expect(versions.body.result.map((v) => v.id)).toEqual([changed.version_id, first.version_id]);
    expect(versions.body.result[0]?.default_retention).toEqual({ success_retention: 86_400_000 });
  });

  it("records a version for each change of class, script, limits or retention", async ({ expect }) => {
    const name = uniqueId("each");
    await putWorkflow(name);
    await putWorkflow(name, { class_name: "Other" });
    await putWorkflow(name, { class_name: "Other", script_name: "moved" });
    await putWorkflow(name, { class_name: "Other", script_name: "moved", limits: { steps: 10 } });
    await putWorkflow(name, {
      class_name: "Other",
      script_name: "moved",
      limits: { steps: 10 },
      default_retention: { error_retention: 1000 },
    });
    const versions = await api<unknown[]>("GET", `/workflows/${name}/versions`);
    expect(versions.body.result_info?.total_count).toBe(5);
  });

  it("gives concurrent PUTs of a new name one workflow", async ({ expect }) => {
    const name = uniqueId("race");
    const results = await Promise.all(Array.from({ length: 5 }, () => putWorkflow(name)));
    expect(new Set(results.map((result) => result.id)).size).toBe(1);
    const versions = await api<unknown[]>("GET", `/workflows/${name}/versions`);
    expect(versions.body.result_info?.total_count).toBe(1);
  });

  it.for([
    ["no body", undefined, "body"],
    ["malformed JSON", "{", "body"],
    ["a missing class_name", { script_name: "w" }, "body.class_name"],
    ["an empty script_name", { class_name: "C", script_name: "" }, "body.script_name"],
    ["a class_name of 256 characters", { class_name: "C".repeat(256), script_name: "w" }, "body.class_name"],
    ["limits.steps of 0", { class_name: "C", script_name: "w", limits: { steps: 0 } }, "body.limits.steps"],
    [
      "a retention that is no duration",
      { class_name: "C", script_name: "w", default_retention: { error_retention: "soon" } },
      "body.default_retention",
    ],
    ["schedules", { class_name: "C", script_name: "w", schedules: [{ cron: "* * * * *" }] }, "body.schedules"],
    ["a class_name that is a number", { class_name: 7, script_name: "w" }, "body.class_name"],
  ] as const)("refuses %s with 400 and stores nothing", async ([, body, field], { expect }) => {
    const name = uniqueId("bad");
    const response = await api("PUT", `/workflows/${name}`, {
      ...(typeof body === "string" ? { rawBody: body, headers: { "Content-Type": "application/json" } } : {}),
      ...(typeof body === "object" ? { body } : {}),
    });
    const error = errorOf(response);
    expect(error).toMatchObject({ status: 400, code: 10002 });
    expect(error.message).toContain(field);
    expect(errorOf(await api("GET", `/workflows/${name}`))).toMatchObject({ status: 404 });
  });

  it("leaves an existing workflow untouched when a PUT is refused", async ({ expect }) => {
    const name = uniqueId("keep");
    const before = await putWorkflow(name, { class_name: "Kept" });
    await api("PUT", `/workflows/${name}`, { body: { class_name: "", script_name: "x" } });
    const after = await api<Workflow>("GET", `/workflows/${name}`);
    expect(after.body.result).toMatchObject({ id: before.id, class_name: "Kept" });
  });
});

describe("DELETE /workflows/:workflow_name", () => {
  it("deletes the workflow and its versions", async ({ expect }) => {
    const name = uniqueId("del");
    await putWorkflow(name);
    const response = await api("DELETE", `/workflows/${name}`);
    expect(response.status).toBe(200);
    expect(response.body.result).toEqual({ status: "ok", success: true });
    expect(errorOf(await api("GET", `/workflows/${name}`))).toMatchObject({ status: 404, code: 10200 });
    expect(errorOf(await api("GET", `/workflows/${name}/versions`))).toMatchObject({ status: 404, code: 10200 });
  });

  it("answers 404 for an unknown workflow", async ({ expect }) => {
    expect(errorOf(await api("DELETE", `/workflows/${uniqueId("none")}`))).toMatchObject({ status: 404, code: 10200 });
  });

  it("starts afresh when a deleted name is defined again", async ({ expect }) => {
    const name = uniqueId("again");
    const first = await putWorkflow(name);
    await api("DELETE", `/workflows/${name}`);
    const second = await putWorkflow(name);
    expect(second.id).not.toBe(first.id);
    const versions = await api<unknown[]>("GET", `/workflows/${name}/versions`);
    expect(versions.body.result_info?.total_count).toBe(1);
  });
});
