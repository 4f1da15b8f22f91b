/** Inputs fuzzing found taken as something else; each is refused in the envelope now. */
import { describe, expect, it } from "vitest";
import { api, uniqueId } from "../helpers/api";

describe("GET /workflows/:workflow_name/instances: dates", () => {
  it.each([
    ["a day February does not have", "date_start=2026-02-30"],
    ["a day April does not have", "date_end=2026-04-31T10:00:00Z"],
    ["a thirteenth month", "date_start=2026-13-01"],
  ])("refuses %s", async (_, query) => {
    const { status, body } = await api("GET", `/workflows/order-approval/instances?${query}`);
    expect(status).toBe(400);
    expect(body.errors[0]).toMatchObject({ code: 10002 });
    expect(body.errors[0]?.message).toContain(query.split("=")[0]);
  });

  it("still takes the last day of February in a leap year", async () => {
    const { status } = await api("GET", "/workflows/order-approval/instances?date_start=2028-02-29");
    expect(status).toBe(200);
  });
});

describe("GET /audit: cursors", () => {
  it.each(["1x", "-5", "abc!!"])("refuses the cursor %s", async (cursor) => {
    const { status, body } = await api("GET", `/audit?cursor=${encodeURIComponent(cursor)}`);
    expect(status).toBe(400);
    expect(body.errors[0]).toMatchObject({ code: 10002, message: "query.cursor: not a cursor this API issued" });
  });
});

describe("GET /workflows/:workflow_name/instances/:instance_id/step", () => {
  it("says the instance is not found, not the step, for an instance nobody made", async () => {
    const id = uniqueId("nobody");
    const { status, body } = await api("GET", `/workflows/order-approval/instances/${id}/step?name=x-1&type=step`);
    expect(status).toBe(404);
    expect(body.errors[0]).toMatchObject({ code: 10400 });
  });
});
