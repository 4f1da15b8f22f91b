import { describe, it } from "vitest";
import { api, errorOf, mintToken, uniqueId } from "../helpers/api";

type Settings = {
  default_retention: { success_retention: number; error_retention: number };
  bulk_job_retention: number;
  audit_retention: number;
};

const DAY = 86_400_000;

// One account, one settings row: these tests run in order and each leaves what it found.
describe("GET and PATCH /workflows/settings", () => {
  it("answers the defaults, then changes only the fields a PATCH names", async ({ expect }) => {
    const before = await api<Settings>("GET", "/workflows/settings");
    expect(before.status).toBe(200);
    expect(before.body.result).toEqual({
      default_retention: { success_retention: 7 * DAY, error_retention: 7 * DAY },
      bulk_job_retention: 30 * DAY,
      audit_retention: 90 * DAY,
    });

    const patched = await api<Settings>("PATCH", "/workflows/settings", {
      body: { default_retention: { error_retention: "3 days" } },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.result.default_retention).toEqual({ success_retention: 7 * DAY, error_retention: 3 * DAY });

    const again = await api<Settings>("PATCH", "/workflows/settings", {
      body: { default_retention: { success_retention: 86_400_000 }, audit_retention: "30 days" },
    });
    expect(again.body.result).toEqual({
      default_retention: { success_retention: DAY, error_retention: 3 * DAY },
      bulk_job_retention: 30 * DAY,
      audit_retention: 30 * DAY,
    });
    expect((await api<Settings>("GET", "/workflows/settings")).body.result).toEqual(again.body.result);

    await api("PATCH", "/workflows/settings", {
      body: { default_retention: { success_retention: 7 * DAY, error_retention: 7 * DAY }, audit_retention: 90 * DAY },
    });
  });

  it.for([
    ["a retention over 30 days", { default_retention: { success_retention: "31 days" } }],
    ["a retention under a second", { default_retention: { error_retention: 10 } }],
    ["a duration that is not one", { bulk_job_retention: "a while" }],
    ["an unknown field", { default_retention: { success_retention: 1_000 }, retention: 5 }],
    ["a misspelt retention", { default_retention: { succes_retention: 1_000 } }],
  ] as const)("refuses %s with 400 and changes nothing", async ([, body], { expect }) => {
    const before = (await api<Settings>("GET", "/workflows/settings")).body.result;
    expect(errorOf(await api("PATCH", "/workflows/settings", { body }))).toMatchObject({ status: 400, code: 10002 });
    expect((await api<Settings>("GET", "/workflows/settings")).body.result).toEqual(before);
  });

  it("lets only the admin token change them; any reader reads them", async ({ expect }) => {
    const editor = await mintToken({ name: uniqueId("editor"), permissions: ["edit"] });
    const reader = await mintToken({ name: uniqueId("reader"), permissions: ["read"] });
    const asEditor = await api("PATCH", "/workflows/settings", {
      token: editor.value,
      body: { audit_retention: "1 day" },
    });
    expect(errorOf(asEditor)).toMatchObject({ status: 403, code: 10000 });
    expect((await api("GET", "/workflows/settings", { token: reader.value })).status).toBe(200);
  });

  it("leaves a workflow named settings reachable by every route but GET of its name", async ({ expect }) => {
    const put = await api<{ name: string }>("PUT", "/workflows/settings", {
      body: { class_name: "SettingsWorkflow", script_name: "some-worker" },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.result.name).toBe("settings");
    const listed = await api<{ name: string }[]>("GET", "/workflows?search=settings");
    expect(listed.body.result.map((workflow) => workflow.name)).toContain("settings");
    const versions = await api<{ class_name: string }[]>("GET", "/workflows/settings/versions");
    expect(versions.body.result[0]?.class_name).toBe("SettingsWorkflow");
    const instances = await api("GET", "/workflows/settings/instances");
    expect(instances.status).toBe(200);
    // Literal segments match first, as on Cloudflare: this is the account's settings.
    expect((await api<Settings>("GET", "/workflows/settings")).body.result).toHaveProperty("default_retention");
    expect((await api("DELETE", "/workflows/settings")).status).toBe(200);
  });
});
