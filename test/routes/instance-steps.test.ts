import { introspectWorkflow, introspectWorkflowInstance } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { api, counts, createInstance, errorOf, parsed, putWorkflow, sweep, uniqueId } from "../helpers/api";
import { eventually } from "../helpers/eventually";

type Summary = { id: string; status: string; trigger_source: string; version_id: string };
type Step = {
  type: string;
  name?: string;
  finished?: boolean;
  success?: boolean | null;
  attempts?: { success: boolean | null }[];
  trigger?: { source: string };
};
type Details = { status: string; step_count: number; steps: Step[]; start: string | null; output: unknown };

const ORDER = { orderId: "order-9", amount: 12 };

async function listed(workflow: string, query: string): Promise<Summary[]> {
  const response = await api<Summary[]>("GET", `/workflows/${workflow}/instances?per_page=100&${query}`);
  return response.body.result;
}

describe("GET /workflows/:workflow_name/instances/:instance_id with steps", () => {
  it("shows an order waiting for approval, its timeline, and counts that follow it to the end", async ({ expect }) => {
    await using workflow = await introspectWorkflow(env.ORDER_APPROVAL);
    await workflow.modifyAll(async (m) => {
      await m.disableSleeps();
    });
    const id = uniqueId("order");
    await createInstance("order-approval", { instance_id: id, params: ORDER });

    await eventually(async () =>
      expect((await listed("order-approval", "status=waiting")).map((i) => i.id)).toContain(id),
    );
    expect((await counts("order-approval")).waiting).toBeGreaterThanOrEqual(1);

    const waiting = await api<Details>("GET", `/workflows/order-approval/instances/${id}`);
    expect(waiting.status).toBe(200);
    expect(waiting.body.result).toMatchObject({ status: "waiting", step_count: 4 });
    expect(waiting.body.result.start).not.toBeNull();
    expect(waiting.body.result.steps.map((step) => [step.type, step.name])).toEqual([
      ["step", "validate order-1"],
      ["step", "reserve inventory-1"],
      ["sleep", "cool off before asking for approval-1"],
      ["waitForEvent", "wait for approval-1"],
    ]);
    expect(waiting.body.result.steps[1]).toMatchObject({ success: true, attempts: [{ success: true }] });
    expect(waiting.body.result.steps[3]).toMatchObject({ finished: false });

    const reversed = await api<Details>("GET", `/workflows/order-approval/instances/${id}?order=desc`);
    expect(reversed.body.result.steps.map((step) => step.name)).toEqual(
      waiting.body.result.steps.map((step) => step.name).reverse(),
    );
    const simple = await api<Details>("GET", `/workflows/order-approval/instances/${id}?simple=true`);
    expect(simple.body.result).toMatchObject({ steps: [], step_count: 4 });

    const reservation = await api<{ status: string; output: unknown }>(
      "GET",
      `/workflows/order-approval/instances/${id}/step?name=${encodeURIComponent("reserve inventory-1")}&type=step`,
    );
    expect(reservation.body.result).toEqual({
      status: "complete",
      error: null,
      output: { reservationId: "reservation-order-9" },
    });
    const wait = await api<{ status: string; event_type: string }>(
      "GET",
      `/workflows/order-approval/instances/${id}/step?name=${encodeURIComponent("wait for approval-1")}&type=waitForEvent`,
    );
    expect(wait.body.result).toMatchObject({ status: "waiting", event_type: "approval" });

    const before = await counts("order-approval");
    await api("POST", `/workflows/order-approval/instances/${id}/events/approval`, { body: { approved: true } });
    await eventually(async () =>
      expect((await listed("order-approval", "status=complete")).map((i) => i.id)).toContain(id),
    );
    const after = await counts("order-approval");
    expect(after.waiting).toBe((before.waiting ?? 0) - 1);
    expect(after.complete).toBe((before.complete ?? 0) + 1);

    const done = await api<Details>("GET", `/workflows/order-approval/instances/${id}`);
    expect(done.body.result).toMatchObject({ status: "complete", step_count: 5 });
    expect(parsed(done.body.result.output)).toMatchObject({ outcome: "confirmed" });
    expect(done.body.result.steps.at(-1)).toMatchObject({ type: "step", name: "finalize order-1", success: true });
  });

  it("logs a termination through the API", async ({ expect }) => {
    await using workflow = await introspectWorkflow(env.ORDER_APPROVAL);
    const id = uniqueId("stop");
    await createInstance("order-approval", { instance_id: id, params: ORDER });
    const [instance] = await workflow.get();
    await instance?.waitForStepResult({ name: "reserve inventory" });
    await api("PATCH", `/workflows/order-approval/instances/${id}/status`, { body: { status: "terminate" } });
    const details = await api<Details>("GET", `/workflows/order-approval/instances/${id}`);
    expect(details.body.result.status).toBe("terminated");
    expect(details.body.result.steps.at(-1)).toEqual({ type: "termination", trigger: { source: "api" } });
  });
});

describe("GET /workflows/:workflow_name/instances/:instance_id/step", () => {
  it("answers 404 with code 10402 for a step the log does not have", async ({ expect }) => {
    const id = uniqueId("nostep");
    await using instance = await introspectWorkflowInstance(env.HELLO_WORLD, id);
    await createInstance("hello-world", { instance_id: id });
    await instance.waitForStatus("complete");
    const error = errorOf(await api("GET", `/workflows/hello-world/instances/${id}/step?name=nothing-1&type=step`));
    expect(error).toMatchObject({ status: 404, code: 10402 });
    expect(error.message).toContain("nothing-1");
  });

  it.for([
    ["no name", "type=step"],
    ["no type", "name=x-1"],
    ["an unknown type", "name=x-1&type=sleep"],
    ["attempt 0", "name=x-1&type=step&attempt=0"],
  ])("refuses %s with 400", async ([, query], { expect }) => {
    expect(errorOf(await api("GET", `/workflows/hello-world/instances/any/step?${query}`))).toMatchObject({
      status: 400,
      code: 10002,
    });
  });
});

describe("GET /workflows/:workflow_name/instances filters", () => {
  it("filters by version, trigger source and id prefix, each combinable with status", async ({ expect }) => {
    await using workflow = await introspectWorkflow(env.HELLO_WORLD);
    const prefix = uniqueId("filter");
    const first = await createInstance("hello-world", { instance_id: `${prefix}-api` });
    // A retention change makes a new version without changing what runs.
    const second = await putWorkflow("hello-world", {
      class_name: "HelloWorldWorkflow",
      script_name: "workflow-control-plane",
      default_retention: { success_retention: "2 days" },
    });
    await createInstance("hello-world", { instance_id: `${prefix}-v2` });
    await env.HELLO_WORLD.create({ id: `${prefix}-binding`, params: { name: "b" } });
    for (const instance of await workflow.get()) await instance.waitForStatus("complete");
    // The one made behind the API's back is indexed once it is looked up; the sweep brings the rest up to date.
    await api("GET", `/workflows/hello-world/instances/${prefix}-binding`);
    await sweep();

    await eventually(async () => expect(await listed("hello-world", `id_prefix=${prefix}`)).toHaveLength(3));
    const ids = async (query: string) =>
      (await listed("hello-world", `id_prefix=${prefix}&${query}`)).map((i) => i.id).sort();
    expect(await ids(`version_id=${first.version_id}`)).toEqual([`${prefix}-api`]);
    expect(await ids(`version_id=${second.version_id}`)).toEqual([`${prefix}-binding`, `${prefix}-v2`]);
    expect(await ids("trigger_source=unknown")).toEqual([`${prefix}-binding`]);
    await eventually(async () =>
      expect(await ids("trigger_source=api&status=complete")).toEqual([`${prefix}-api`, `${prefix}-v2`]),
    );
  });

  it.for([
    ["a version that is no UUID", "version_id=v2"],
    ["an unknown trigger source", "trigger_source=carrier-pigeon"],
    ["an id prefix with a semicolon", "id_prefix=a;b"],
  ])("refuses %s with 400", async ([, query], { expect }) => {
    expect(errorOf(await api("GET", `/workflows/hello-world/instances?${query}`))).toMatchObject({
      status: 400,
      code: 10002,
    });
  });
});
