import { describe, it } from "vitest";
import { api, errorOf, uniqueId } from "../helpers/api";

type Workflow = { name: string; jurisdiction: string | null; version_id: string };

const definition = { class_name: "SomeWorkflow", script_name: "some-worker" };

describe("a workflow's jurisdiction", () => {
  it("is taken at creation and echoed by PUT, GET and the list", async ({ expect }) => {
    const name = uniqueId("eu");
    const put = await api<Workflow>("PUT", `/workflows/${name}`, { body: { ...definition, jurisdiction: "eu" } });
    expect(put.status).toBe(200);
    expect(put.body.result.jurisdiction).toBe("eu");
    expect((await api<Workflow>("GET", `/workflows/${name}`)).body.result.jurisdiction).toBe("eu");
    const list = await api<Workflow[]>("GET", `/workflows?search=${name}`);
    expect(list.body.result.map((item) => [item.name, item.jurisdiction])).toEqual([[name, "eu"]]);
    // Left out, it stays; named again, nothing to refuse.
    const again = await api<Workflow>("PUT", `/workflows/${name}`, { body: { ...definition, class_name: "Other" } });
    expect(again.body.result.jurisdiction).toBe("eu");
    const same = await api<Workflow>("PUT", `/workflows/${name}`, { body: { ...definition, jurisdiction: "eu" } });
    expect(same.status).toBe(200);
  });

  it("is null when unset", async ({ expect }) => {
    const name = uniqueId("anywhere");
    const put = await api<Workflow>("PUT", `/workflows/${name}`, { body: definition });
    expect(put.body.result.jurisdiction).toBeNull();
    expect((await api<Workflow>("GET", `/workflows/${name}`)).body.result.jurisdiction).toBeNull();
  });

  it("refuses a change with 400 and code 10202, and changes nothing", async ({ expect }) => {
    const name = uniqueId("fixed");
    const created = await api<Workflow>("PUT", `/workflows/${name}`, { body: { ...definition, jurisdiction: "us" } });
    const moved = await api("PUT", `/workflows/${name}`, {
      body: { ...definition, class_name: "Changed", jurisdiction: "eu" },
    });
    expect(errorOf(moved)).toMatchObject({ status: 400, code: 10202 });
    expect(errorOf(moved).message).toMatch(/jurisdiction us.*fixed/);
    const after = (await api<Workflow>("GET", `/workflows/${name}`)).body.result;
    expect(after).toMatchObject({ jurisdiction: "us", version_id: created.body.result.version_id });

    const unset = uniqueId("unset");
    await api("PUT", `/workflows/${unset}`, { body: definition });
    const placed = await api("PUT", `/workflows/${unset}`, { body: { ...definition, jurisdiction: "fedramp" } });
    expect(errorOf(placed)).toMatchObject({ status: 400, code: 10202 });
  });

  it("refuses an unknown jurisdiction with 400", async ({ expect }) => {
    const response = await api("PUT", `/workflows/${uniqueId("mars")}`, {
      body: { ...definition, jurisdiction: "mars" },
    });
    expect(errorOf(response)).toMatchObject({ status: 400, code: 10002 });
  });
});
