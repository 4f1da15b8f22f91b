import { describe, it } from "vitest";
import { api, errorOf, putWorkflow, uniqueId } from "../helpers/api";

type Version = {
  id: string;
  workflow_id: string;
  class_name: string;
  script_name: string;
  has_dag: boolean;
  language: string;
};

describe("GET /workflows/:workflow_name/versions", () => {
  it("lists versions newest first with page paging (per_page defaults to 50)", async ({ expect }) => {
    const name = uniqueId("vl");
    const v1 = await putWorkflow(name, { class_name: "One" });
    const v2 = await putWorkflow(name, { class_name: "Two" });
    const v3 = await putWorkflow(name, { class_name: "Three" });
    const all = await api<Version[]>("GET", `/workflows/${name}/versions`);
    expect(all.body.result.map((v) => v.id)).toEqual([v3.version_id, v2.version_id, v1.version_id]);
    expect(all.body.result_info).toMatchObject({ per_page: 50, total_count: 3, page: 1 });
    const second = await api<Version[]>("GET", `/workflows/${name}/versions?per_page=1&page=2`);
    expect(second.body.result.map((v) => v.class_name)).toEqual(["Two"]);
  });

  it("answers 404 for an unknown workflow", async ({ expect }) => {
    expect(errorOf(await api("GET", `/workflows/${uniqueId("x")}/versions`))).toMatchObject({
      status: 404,
      code: 10200,
    });
  });
});

describe("GET /workflows/:workflow_name/versions/:version_id", () => {
  it("returns the version in Cloudflare's shape", async ({ expect }) => {
    const name = uniqueId("vg");
    const created = await putWorkflow(name, { class_name: "Shape", limits: { steps: 42 } });
    const response = await api<Version>("GET", `/workflows/${name}/versions/${created.version_id}`);
    expect(response.body.result).toMatchObject({
      id: created.version_id,
      workflow_id: created.id,
      class_name: "Shape",
      script_name: "some-worker",
      has_dag: false,
      language: "javascript",
      limits: { steps: 42 },
    });
  });

  it("answers 404 for a version of another workflow", async ({ expect }) => {
    const mine = await putWorkflow(uniqueId("mine"));
    const error = errorOf(await api("GET", `/workflows/hello-world/versions/${mine.version_id}`));
    expect(error).toMatchObject({ status: 404, code: 10300 });
  });

  it("refuses an id that is not a UUID", async ({ expect }) => {
    expect(errorOf(await api("GET", "/workflows/hello-world/versions/latest"))).toMatchObject({
      status: 400,
      code: 10002,
    });
  });

  it("serves the graph endpoint with graph: null", async ({ expect }) => {
    const name = uniqueId("graph");
    const created = await putWorkflow(name);
    const response = await api<{ id: string; graph: null }>(
      "GET",
      `/workflows/${name}/versions/${created.version_id}/graph`,
    );
    expect(response.body.result).toMatchObject({ id: created.version_id, graph: null });
  });

  it("serves the DAG endpoint in Cloudflare's shape, with dag: null", async ({ expect }) => {
    const name = uniqueId("dag");
    const created = await putWorkflow(name, { class_name: "Dag" });
    const response = await api("GET", `/workflows/${name}/versions/${created.version_id}/dag`);
    expect(response.status).toBe(200);
    expect(response.body.result).toEqual({
      id: created.version_id,
      workflow_id: created.id,
      class_name: "Dag",
      created_on: expect.any(String),
      modified_on: expect.any(String),
      dag: null,
    });
    const missing = errorOf(await api("GET", `/workflows/${name}/versions/${crypto.randomUUID()}/dag`));
    expect(missing).toMatchObject({ status: 404, code: 10300 });
  });
});
