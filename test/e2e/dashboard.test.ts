import { mkdirSync } from "node:fs";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium } from "./browser.ts";
import { unique } from "./ids.ts";
import { until, untilStatus } from "./poll.ts";

/**
 * The dashboard in a real browser against `npm run dev`, as an operator uses it: sign in, look,
 * start an order, watch it wait, approve it, bulk-terminate a selection. Screenshots of the main
 * pages land in test/e2e/.artifacts/screenshots (the README's come from there).
 */

const { baseUrl, token, accountId } = inject("controlPlane");
const origin = new URL(baseUrl).origin;
const account = `${baseUrl}/accounts/${accountId}`;
const SCREENSHOTS = "test/e2e/.artifacts/screenshots";

let browser: Browser;
let page: Page;
const problems: string[] = [];

async function rest<T>(method: string, path: string, body?: unknown, bearer = token): Promise<T> {
  const response = await fetch(`${account}${path}`, {
    method,
    headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const envelope = (await response.json()) as { success: boolean; result: T };
  if (!envelope.success) throw new Error(`${method} ${path}: ${JSON.stringify(envelope)}`);
  return envelope.result;
}

/** The whole page, or only `of` (one section of a long page). */
async function screenshot(name: string, of?: Locator) {
  const path = `${SCREENSHOTS}/${name}.png`;
  await (of ? of.screenshot({ path }) : page.screenshot({ path, fullPage: true }));
}

/** The browser logs the API's refusals the test asked for; those are not faults of the page. */
async function acceptRefusal(status: number) {
  // The console messages may trail the alert the page shows.
  await expect.poll(() => problems.length).toBeGreaterThan(0);
  expect(problems).toEqual(problems.map(() => expect.stringContaining(`status of ${status}`)));
  problems.splice(0);
}

async function focusedText(): Promise<string | undefined> {
  return page.evaluate(() => document.activeElement?.textContent?.trim());
}

async function signIn(secret: string) {
  await page.goto(`${origin}/`);
  // By keyboard, as someone without a mouse would.
  await page.getByLabel("API token").focus();
  await page.keyboard.type(secret);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Workflows", level: 1 }).waitFor();
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => {
    // Leaving a page aborts what it was still loading; that is not a failure.
    if (request.failure()?.errorText !== "net::ERR_ABORTED") problems.push(`request failed: ${request.url()}`);
  });
});

afterAll(async () => {
  await browser?.close();
});

describe("the dashboard", () => {
  it("is served by the Worker with nothing fetched from elsewhere", async () => {
    const response = await fetch(`${origin}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await response.text();
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it("refuses a wrong token and shows why", async () => {
    await page.goto(`${origin}/`);
    await page.getByLabel("API token").fill("not-a-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("code 10000");
    await acceptRefusal(401);
  });

  it("signs in with the token and lists the demo workflows with their counts", async () => {
    await signIn(token);
    expect(page.url()).not.toContain(token);
    const row = page.locator("tr[data-workflow='order-approval']");
    await row.waitFor();
    await expect.poll(() => row.textContent()).toContain("OrderApprovalWorkflow");
    await expect.poll(() => page.locator("tr[data-workflow='hello-world']").count()).toBe(1);
    expect(await page.title()).toBe("Workflows · Workflow control plane");
    const stored = await page.evaluate(() => JSON.stringify(sessionStorage));
    expect(stored).toContain(token);
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(token);
  });

  let orderId = "";

  it("starts an order and shows it waiting for approval on its timeline", async () => {
    orderId = unique("dash-order");
    await page.getByRole("link", { name: "order-approval" }).click();
    // Moving to another page names it and puts focus on its heading.
    await expect.poll(() => page.title()).toBe("order-approval · Workflow control plane");
    expect(await focusedText()).toBe("order-approval");
    await page.getByText("Start an instance").click();
    await page.getByLabel("Instance id (optional)").fill(orderId);
    await page.getByLabel("Params (JSON)").fill(JSON.stringify({ orderId, amount: 42 }));
    await page.getByRole("button", { name: "Start instance" }).click();
    await page.getByRole("heading", { name: orderId }).waitFor();
    await page.locator(".instance-title .badge", { hasText: "Waiting" }).waitFor({ timeout: 30_000 });
    const current = page.locator(".lane.current");
    // "Waiting" starts with the sleep before the wait for approval; the wait follows.
    await expect.poll(() => current.getAttribute("data-step"), { timeout: 20_000 }).toBe("wait for approval-1");
    await expect.poll(() => page.locator(".lane").count()).toBe(4);
    await screenshot("instance-waiting");
  });

  it("sends the approval and shows the order complete, with its steps and attempts", async () => {
    await expect.poll(() => page.getByLabel("Event type").inputValue()).toBe("approval");
    await page.getByLabel("Payload (JSON)").fill('{"approved":true}');
    await page.getByRole("button", { name: "Send event" }).click();
    await page.getByRole("status").filter({ hasText: 'Event "approval" sent' }).waitFor();
    await page.locator(".instance-title .badge", { hasText: "Complete" }).waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator("pre.json").nth(1).textContent()).toContain('"outcome": "confirmed"');
    await expect.poll(() => page.locator(".lane").count()).toBe(5);
    expect(await page.locator(".lane.current").count()).toBe(0);
    await page.getByRole("button", { name: /reserve inventory-1/ }).click();
    await page.getByRole("table", { name: "Attempts" }).waitFor();
    await screenshot("instance-complete");
  });

  it("shows the API's refusal, and restarts the order from a chosen step", async () => {
    await page.getByLabel("Event type").fill("not a valid type!");
    await page.getByRole("button", { name: "Send event" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("code 10002");
    await acceptRefusal(400);

    await page.getByRole("button", { name: "Restart…" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Restart from").selectOption({ label: "reserve inventory-1" });
    await dialog.getByRole("button", { name: "Restart" }).click();
    await page.getByRole("status").filter({ hasText: "Restart accepted" }).waitFor();
    // The dialog's button is gone: focus lands on what happened.
    expect(await focusedText()).toContain("Restart accepted");
    // Run again from the reservation, the order asks for approval once more.
    await page.locator(".instance-title .badge", { hasText: "Waiting" }).waitFor({ timeout: 30_000 });
    await expect
      .poll(() => page.locator(".lane.current").getAttribute("data-step"), { timeout: 20_000 })
      .toBe("wait for approval-1");
    const instance = await rest<{ status: string; steps: { name: string }[] }>(
      "GET",
      `/workflows/order-approval/instances/${orderId}`,
    );
    expect(instance.steps.map((step) => step.name)).toContain("validate order-1");
  });

  it("bulk-terminates a selection and shows each instance's result", async () => {
    const prefix = unique("dash-bulk");
    const ids = [1, 2, 3].map((n) => `${prefix}-${n}`);
    for (const id of ids) {
      await rest("POST", "/workflows/order-approval/instances", {
        instance_id: id,
        params: { orderId: id, amount: 1 },
      });
    }
    await page.goto(`${origin}/#/workflows/order-approval?id_prefix=${prefix}`);
    await expect.poll(() => page.locator("tr[data-instance]").count()).toBe(3);
    await page.getByLabel("Select every instance on this page").check();
    await page.getByRole("region", { name: "Bulk actions" }).getByText("3 selected").waitFor();
    await screenshot("instances-selected");
    await page.getByRole("button", { name: "Terminate…" }).click();
    // The dry run's preview is shown before the confirmation.
    await page
      .getByRole("dialog")
      .getByText("Preview: 3 instances; 3 would be acted on, 0 skipped.")
      .waitFor({ timeout: 10_000 });
    await page.getByLabel("Reason (recorded in the audit trail)").fill("dashboard e2e");
    await page.getByRole("dialog").getByRole("button", { name: "Terminate 3" }).click();
    await page.locator(".job-status[data-status='complete']").waitFor({ timeout: 60_000 });
    await expect.poll(() => page.locator("tr[data-outcome='succeeded']").count(), { timeout: 10_000 }).toBe(3);
    await screenshot("bulk-job");
    for (const id of ids) {
      const instance = await untilStatus(
        () => rest<{ status: string }>("GET", `/workflows/order-approval/instances/${id}`),
        "terminated",
      );
      expect(instance.status).toBe("terminated");
    }
  });

  it("restarts a selection from a step, previewing the steps it would run again", async () => {
    const prefix = unique("dash-restart");
    const ids = [1, 2].map((n) => `${prefix}-${n}`);
    for (const id of ids) {
      await rest("POST", "/workflows/order-approval/instances", {
        instance_id: id,
        params: { orderId: id, amount: 1 },
      });
      await until(
        () => rest<{ steps: { name: string }[] }>("GET", `/workflows/order-approval/instances/${id}`),
        (instance) => instance.steps.some((step) => step.name === "reserve inventory-1"),
      );
      await rest("PATCH", `/workflows/order-approval/instances/${id}/status`, { status: "terminate" });
    }
    await page.goto(`${origin}/#/workflows/order-approval?id_prefix=${prefix}&status=terminated`);
    await expect.poll(() => page.locator("tr[data-instance]").count(), { timeout: 20_000 }).toBe(2);
    await page.getByLabel("Select every instance on this page").check();
    await page.getByRole("button", { name: "Restart…" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("From step (empty: from the start)").fill("reserve inventory");
    // The preview counts the steps each target would run again from there, with their price.
    await dialog
      .getByText(/^Preview: 2 instances; 2 would be acted on, 0 skipped, about \d+ steps \(about \$\d+\.\d\d\)\.$/)
      .waitFor({ timeout: 10_000 });
    await dialog.getByRole("button", { name: "Restart 2" }).click();
    await page.locator(".job-status[data-status='complete']").waitFor({ timeout: 60_000 });
    await expect.poll(() => page.locator("tr[data-outcome='succeeded']").count(), { timeout: 10_000 }).toBe(2);
    for (const id of ids) {
      // Restarted from "reserve inventory", each runs again up to the wait for approval.
      const instance = await until(
        () => rest<{ status: string; steps: { name: string }[] }>("GET", `/workflows/order-approval/instances/${id}`),
        (read) =>
          ["running", "waiting"].includes(read.status) &&
          read.steps.some((step) => step.name === "wait for approval-1"),
      );
      expect(instance.steps.map((step) => step.name)).toContain("reserve inventory-1");
    }
  });

  it("filters by status and pages through instances both ways", async () => {
    const prefix = unique("dash-page");
    const ids = [1, 2, 3, 4, 5].map((n) => `${prefix}-${n}`);
    await rest(
      "POST",
      "/workflows/hello-world/instances/batch",
      ids.map((id) => ({ instance_id: id, params: { name: id } })),
    );
    await page.goto(`${origin}/#/workflows/hello-world?id_prefix=${prefix}&per_page=2`);
    const rows = page.locator("tr[data-instance]");
    const shown = async () => (await rows.evaluateAll((all) => all.map((row) => row.dataset.instance ?? ""))).sort();
    const pager = page.getByRole("navigation", { name: "Pages of instances" });
    const seen: string[] = [];
    for (const pageNumber of [1, 2, 3]) {
      await pager.getByText(`Page ${pageNumber}`).waitFor();
      await expect.poll(async () => (await shown()).length).toBe(pageNumber === 3 ? 1 : 2);
      seen.push(...(await shown()));
      if (pageNumber < 3) await pager.getByRole("button", { name: "Next →" }).click();
    }
    expect(seen.sort()).toEqual([...ids].sort());
    expect(await pager.getByRole("button", { name: "Next →" }).isDisabled()).toBe(true);
    await pager.getByRole("button", { name: "← Previous" }).click();
    await pager.getByText("Page 2").waitFor();
    await expect.poll(async () => (await shown()).length).toBe(2);

    // A new filter starts over on its first page; none of these instances is running any more.
    for (const id of ids) {
      await untilStatus(() => rest<{ status: string }>("GET", `/workflows/hello-world/instances/${id}`), "complete");
    }
    await page.getByRole("combobox", { name: "Status" }).selectOption("running");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await pager.getByText("Page 1").waitFor();
    await page.getByText("No instances match.").waitFor();
    expect(page.url()).toContain("status=running");
  });

  it("shows what changed between two versions", async () => {
    const name = unique("dash-wf");
    await rest("PUT", `/workflows/${name}`, { class_name: "Billing", script_name: "billing" });
    await rest("PUT", `/workflows/${name}`, { class_name: "Billing", script_name: "billing", limits: { steps: 500 } });
    await page.goto(`${origin}/#/workflows/${name}/versions`);
    await expect.poll(() => page.locator("tr[data-version]").count()).toBe(2);
    const changed = page.locator(".diff tr.changed");
    await expect.poll(() => changed.count()).toBe(1);
    expect(await changed.textContent()).toContain("Step limit");
    await page.goto(`${origin}/#/`);
    await page.locator("tr[data-workflow='order-approval']").waitFor();
    await screenshot("workflows");
    await page.goto(`${origin}/#/workflows/${name}/versions`);
    await changed.waitFor();
    await screenshot("versions");
  });

  it("offers a read-only token no actions", async () => {
    const reader = await rest<{ value: string }>("POST", "/tokens", {
      name: "dashboard-reader",
      permissions: ["read"],
    });
    await page.getByRole("button", { name: "Sign out" }).click();
    await signIn(reader.value);
    await page.getByText("read only").waitFor();
    await page.goto(`${origin}/#/workflows/order-approval/instances/${orderId}`);
    await page.getByRole("heading", { name: orderId }).waitFor();
    await page.getByRole("heading", { name: "Timeline" }).waitFor();
    expect(await page.getByRole("button", { name: /^(Pause|Resume|Terminate…|Restart…|Send event)$/ }).count()).toBe(0);
    await page.goto(`${origin}/#/workflows/order-approval`);
    await page.locator("tr[data-instance]").first().waitFor();
    expect(await page.getByText("Start an instance").count()).toBe(0);
    expect(await page.getByRole("checkbox", { name: /^Select/ }).count()).toBe(0);
  });

  it("skips to the content by keyboard without leaving the page", async () => {
    const url = `${origin}/#/workflows/order-approval/instances/${orderId}`;
    await page.goto(url);
    // Loaded afresh, so that the first Tab starts at the top of the page.
    await page.reload();
    await page.getByRole("heading", { name: "Timeline" }).waitFor();
    await page.keyboard.press("Tab");
    expect(await focusedText()).toBe("Skip to content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");
    expect(page.url()).toBe(url);
  });

  it("ends the session when its token is revoked", async () => {
    const reader = await rest<{ id: string; value: string }>("POST", "/tokens", {
      name: "dashboard-revoked",
      permissions: ["read"],
    });
    await page.getByRole("button", { name: "Sign out" }).click();
    await signIn(reader.value);
    await rest("DELETE", `/tokens/${reader.id}`);
    // The workflows page's next refresh (one request every 5 s) learns the token is gone.
    await expect.poll(() => page.getByRole("alert").textContent(), { timeout: 15_000 }).toContain("Signed out");
    await page.getByLabel("API token").waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await acceptRefusal(401);
    await signIn(token);
  });

  it("fits a phone's width", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    // The instance last: the screenshot is of it.
    for (const path of [
      "#/",
      "#/workflows/order-approval/metrics",
      `#/workflows/order-approval/instances/${orderId}`,
    ]) {
      await page.goto(`${origin}/${path}`);
      await page.locator("main h1").first().waitFor();
      await page.waitForLoadState("networkidle");
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, path).toBeLessThanOrEqual(0);
    }
    await screenshot("instance-phone");
  });

  it("finds workflows by name, a page of 25 at a time", async () => {
    const prefix = unique("dash-find");
    const names = Array.from({ length: 27 }, (_, n) => `${prefix}-${n + 1}`);
    for (const name of names)
      await rest("PUT", `/workflows/${name}`, { class_name: "Billing", script_name: "billing" });
    try {
      await page.goto(`${origin}/#/`);
      await page.getByLabel("Find workflows by name").fill(prefix);
      await page.getByRole("button", { name: "Find" }).click();
      const pager = page.getByRole("navigation", { name: "Pages of workflows" });
      await pager.getByText("Page 1 of 2").waitFor();
      await expect.poll(() => page.locator("tr[data-workflow]").count()).toBe(25);
      await pager.getByRole("button", { name: "Next →" }).click();
      await pager.getByText("Page 2 of 2").waitFor();
      await expect.poll(() => page.locator("tr[data-workflow]").count()).toBe(2);
      // The search and the page are in the link, so a reload shows the same.
      expect(page.url()).toContain(`search=${prefix}`);
      await page.reload();
      await pager.getByText("Page 2 of 2").waitFor();
    } finally {
      // They sort before the demo workflows: left behind, they would push those off the first
      // page that later tests (and wrangler's list) look at.
      for (const name of names) await rest("DELETE", `/workflows/${name}`);
    }
  });

  it("logged no errors in the browser", () => {
    expect(problems).toEqual([]);
  });
});

describe("labels and selectors", () => {
  // Orders that wait for their approval, so that they stay running: two of one tenant, one of
  // another, one of none, each with its own order label.
  const prefix = unique("dash-label");
  const tenant = unique("t");
  const order = (n: number, group?: string) => ({
    id: `${prefix}-${n}`,
    labels: { order: `o-${prefix}-${n}`, ...(group ? { tenant: `${tenant}-${group}` } : {}) },
  });
  const first = order(1, "a");
  const other = order(3, "b");
  const orders = [first, order(2, "a"), other, order(4)];
  const ofTenantA = orders.filter((each) => each.labels.tenant === `${tenant}-a`).map((each) => each.id);
  const instanceOf = (id: string) =>
    rest<{ status: string; labels: Record<string, string> }>("GET", `/workflows/order-approval/instances/${id}`);
  const shownIds = async () =>
    (
      await page.locator("tr[data-instance]").evaluateAll((rows) => rows.map((row) => row.dataset.instance ?? ""))
    ).sort();
  /** The page link's query: the routes live in the hash. */
  const linkQuery = () => new URLSearchParams(new URL(page.url()).hash.split("?")[1] ?? "");

  beforeAll(async () => {
    for (const each of orders) {
      await rest("POST", "/workflows/order-approval/instances", {
        instance_id: each.id,
        params: { orderId: each.id, amount: 1 },
        labels: each.labels,
      });
    }
    // Alone (-t), this describe signs in itself; after the others, the session is still there.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${origin}/`);
    const tokenField = page.getByLabel("API token");
    await tokenField.or(page.getByRole("heading", { name: "Workflows", level: 1 })).waitFor();
    if (await tokenField.isVisible()) await signIn(token);
  });

  afterAll(async () => {
    for (const { id } of orders) {
      await rest("PATCH", `/workflows/order-approval/instances/${id}/status`, { status: "terminate" }).catch(() => {});
    }
  });

  it("finds an instance by its label, with the selector in the page's link", async () => {
    await page.goto(`${origin}/#/workflows/order-approval`);
    await page.getByLabel("Labels", { exact: true }).fill(`order=${first.labels.order}`);
    await page.getByRole("button", { name: "Apply filters" }).click();
    await expect.poll(shownIds).toEqual([first.id]);
    const row = page.locator(`tr[data-instance='${first.id}']`);
    await expect
      .poll(() => row.locator(".label").allTextContents())
      .toEqual([`order=${first.labels.order}`, `tenant=${first.labels.tenant}`]);
    expect(linkQuery().get("labels")).toBe(`order=${first.labels.order}`);
    // A reload (or a shared link) shows the same list, the selector still in the form.
    await page.reload();
    await expect.poll(shownIds).toEqual([first.id]);
    expect(await page.getByLabel("Labels", { exact: true }).inputValue()).toBe(`order=${first.labels.order}`);

    // A malformed selector is refused with the API's message, which says where.
    await page.getByLabel("Labels", { exact: true }).fill("order in (x");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("at position 11");
    await acceptRefusal(400);

    // A label's chip narrows the list to the instances that share it.
    await page.goto(`${origin}/#/workflows/order-approval?id_prefix=${prefix}`);
    await expect.poll(shownIds).toEqual(orders.map((each) => each.id));
    await page.locator(`tr[data-instance='${other.id}'] .label a`, { hasText: "tenant=" }).click();
    await expect.poll(shownIds).toEqual([other.id]);
    expect(linkQuery().get("labels")).toBe(`tenant=${other.labels.tenant}`);
    expect(linkQuery().get("id_prefix")).toBe(prefix);
    await screenshot("instances-labels");
  });

  it("counts the instances by a label as bars, and lists one group", async () => {
    await page.goto(`${origin}/#/workflows/order-approval`);
    await page.getByLabel("Group by label").fill("tenant");
    await page.getByRole("button", { name: "Group", exact: true }).click();
    const groups = page.getByRole("list", { name: "Instances by tenant" });
    const groupA = groups.locator(`li[data-group='tenant=${tenant}-a']`);
    const groupB = groups.locator(`li[data-group='tenant=${tenant}-b']`);
    await expect.poll(() => groupA.locator(".group-total").textContent()).toBe("2");
    await expect.poll(() => groupB.locator(".group-total").textContent()).toBe("1");
    // The orders without a tenant (this one, and those of earlier tests) are a group of their own.
    await groups.locator("li[data-group='!tenant']").waitFor();
    expect(await groupA.locator(".count-bar .segment").count()).toBeGreaterThan(0);
    // Drawn to one scale: the group of two is twice as long as the group of one.
    const widthOf = async (group: typeof groupA) => (await group.locator(".count-bar").boundingBox())?.width ?? 0;
    expect((await widthOf(groupA)) / (await widthOf(groupB))).toBeCloseTo(2, 1);
    expect(linkQuery().get("group")).toBe("tenant");
    await screenshot("label-groups");

    // A group's link lists its instances; the counts follow the selector, the key stays.
    await groupB.getByRole("link").click();
    await expect.poll(shownIds).toEqual([other.id]);
    expect(linkQuery().get("labels")).toBe(`tenant=${tenant}-b`);
    expect(linkQuery().get("group")).toBe("tenant");
    await expect.poll(() => groups.locator("li[data-group]").count()).toBe(1);
    await page.reload();
    await expect.poll(() => groupB.locator(".group-total").textContent()).toBe("1");
  });

  it("bulk-pauses every instance a selector matches, and no other", async () => {
    const selector = `tenant=${tenant}-a`;
    await page.goto(`${origin}/#/workflows/order-approval?labels=${encodeURIComponent(selector)}`);
    await expect.poll(shownIds).toEqual([...ofTenantA].sort());
    await page.getByLabel("Select every instance on this page").check();
    const bar = page.getByRole("region", { name: "Bulk actions" });
    await bar.getByRole("button", { name: "Select all matching the filter" }).click();
    await bar.getByText("All instances matching the filter are selected.").waitFor();
    await bar.getByRole("button", { name: "Pause…" }).click();
    const dialog = page.getByRole("dialog");
    // The job selects by the filter, the selector included; the dry run counts its matches.
    expect(await dialog.locator("[data-filter='labels'] code").textContent()).toBe(selector);
    await dialog.getByText("Preview: 2 instances; 2 would be acted on, 0 skipped.").waitFor({ timeout: 10_000 });
    await screenshot("bulk-pause-by-label");
    await dialog.getByRole("button", { name: "Pause all" }).click();
    await page.locator(".job-status[data-status='complete']").waitFor({ timeout: 60_000 });
    await expect.poll(() => page.locator("tr[data-outcome='succeeded']").count(), { timeout: 10_000 }).toBe(2);
    expect(await page.locator("[data-filter='labels'] code").textContent()).toBe(selector);
    for (const id of ofTenantA) {
      const paused = await untilStatus(() => instanceOf(id), "paused");
      expect(paused.labels.tenant).toBe(`${tenant}-a`);
    }
    const untouched = await instanceOf(other.id);
    expect(["queued", "running", "waiting"]).toContain(untouched.status);
  });

  it("adds, changes and removes an instance's labels on its page", async () => {
    const { id } = other;
    await page.goto(`${origin}/#/workflows/order-approval/instances/${id}`);
    const labels = page.getByRole("region", { name: "Labels" });
    await expect.poll(() => labels.locator(".label").count()).toBe(2);
    await page.getByLabel("Label key").fill("stage");
    await page.getByLabel("Value", { exact: true }).fill("review");
    await page.getByRole("button", { name: "Set label" }).click();
    await labels.locator(".label", { hasText: "stage=review" }).waitFor();
    // The same key again changes its value.
    await page.getByLabel("Label key").fill("stage");
    await page.getByLabel("Value", { exact: true }).fill("approved");
    await page.getByRole("button", { name: "Set label" }).click();
    await labels.locator(".label", { hasText: "stage=approved" }).waitFor();
    await screenshot("instance-labels");
    expect((await instanceOf(id)).labels).toEqual({ ...other.labels, stage: "approved" });
    await page.getByRole("button", { name: "Remove the label stage" }).click();
    await expect.poll(() => labels.locator(".label").count()).toBe(2);
    expect((await instanceOf(id)).labels).toEqual(other.labels);

    // A key the API refuses is shown with its message; nothing changes.
    await page.getByLabel("Label key").fill("Not A Key");
    await page.getByRole("button", { name: "Set label" }).click();
    await expect.poll(() => labels.getByRole("alert").textContent()).toContain("The labels were refused");
    await acceptRefusal(400);
    expect(Object.keys((await instanceOf(id)).labels).sort()).toEqual(["order", "tenant"]);
  });

  it("logged no errors in the browser", () => {
    expect(problems).toEqual([]);
  });
});

describe("metrics", () => {
  // Two orders refused by their own validation (a NonRetryableError) and one approved: errored
  // and completed runs of order-approval, in this minute's bucket.
  const prefix = unique("dash-metrics");
  const refused = [1, 2].map((n) => `${prefix}-refused-${n}`);
  const approved = `${prefix}-approved`;
  const MESSAGE = "params.amount must be a positive number";
  type Instance = { status: string; versionId: string; steps: { name: string }[] };
  type Bucket = { created: number; completed: number; errored: number };
  type ErrorGroup = { name: string; message: string; count: number; example_instance_id: string };
  const instanceOf = (id: string) => rest<Instance>("GET", `/workflows/order-approval/instances/${id}`);
  const linkQuery = () => new URLSearchParams(new URL(page.url()).hash.split("?")[1] ?? "");
  const figure = (name: string) => page.locator(`figure[data-chart='${name}']`);
  const total = async (key: string) =>
    Number(await figure("throughput").locator(`[data-total='${key}'] strong`).textContent());
  let group: ErrorGroup | undefined;

  beforeAll(async () => {
    for (const id of refused) {
      await rest("POST", "/workflows/order-approval/instances", {
        instance_id: id,
        params: { orderId: "x", amount: -1 },
      });
    }
    await rest("POST", "/workflows/order-approval/instances", {
      instance_id: approved,
      params: { orderId: approved, amount: 5 },
    });
    for (const id of refused) await untilStatus(() => instanceOf(id), "errored");
    // The approval is sent once the order waits for it, after its cooling-off sleep.
    await until(
      () => instanceOf(approved),
      (read) => read.status === "waiting" && read.steps.some((step) => step.name === "wait for approval-1"),
    );
    await rest("POST", `/workflows/order-approval/instances/${approved}/events/approval`, { approved: true });
    await untilStatus(() => instanceOf(approved), "complete");
    // The metrics count what the index has mirrored of the engine's events, which may trail the
    // statuses just read: wait for the API to count these runs before the page is looked at.
    await until(
      async () => (await rest<{ buckets: Bucket[] }>("GET", "/workflows/order-approval/metrics?bucket=1m")).buckets,
      (buckets) =>
        buckets.reduce((sum, bucket) => sum + bucket.errored, 0) >= refused.length &&
        buckets.reduce((sum, bucket) => sum + bucket.completed, 0) >= 1,
    );
    group = (
      await until(
        () => rest<ErrorGroup[]>("GET", "/workflows/order-approval/metrics/errors"),
        (groups) => groups.some((each) => each.message === MESSAGE && each.count >= refused.length),
      )
    ).find((each) => each.message === MESSAGE);
    // Alone (-t), this describe signs in itself; after the others, the session is still there.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${origin}/`);
    const tokenField = page.getByLabel("API token");
    await tokenField.or(page.getByRole("heading", { name: "Workflows", level: 1 })).waitFor();
    if (await tokenField.isVisible()) await signIn(token);
  });

  it("opens on minutes over the last hour, and charts throughput, error rate and durations per minute or hour, with their numbers as text", async () => {
    await page.goto(`${origin}/#/workflows/order-approval`);
    await page.getByRole("navigation", { name: "order-approval pages" }).getByRole("link", { name: "Metrics" }).click();
    // Fresh runs draw a line in minutes; in hours over a day they were one dot at the edge.
    await page.getByRole("figure", { name: "Instances per minute" }).waitFor();
    expect(await page.getByRole("combobox", { name: "Window" }).inputValue()).toBe("1h");
    const show = async (bucket: string, window: string, figureName: string) => {
      await page.getByRole("combobox", { name: "Bucket" }).selectOption(bucket);
      await page.getByRole("combobox", { name: "Window" }).selectOption(window);
      await page.getByRole("button", { name: "Show", exact: true }).click();
      await page.getByRole("figure", { name: figureName }).waitFor();
      expect(linkQuery().get("bucket")).toBe(bucket);
      expect(linkQuery().get("window")).toBe(window);
    };
    await show("1h", "24h", "Instances per hour");
    // The bucket and the window are in the page's link, so a reload shows the same.
    await show("1m", "1h", "Instances per minute");
    await page.reload();
    for (const name of ["throughput", "error-rate", "duration"]) {
      await expect.poll(() => figure(name).locator(".uplot canvas").count(), { message: name }).toBeGreaterThan(0);
      // The canvas is for the eyes; the figure says its numbers as text.
      expect(await figure(name).locator(".chart").getAttribute("aria-hidden")).toBe("true");
    }
    // Counts only go up as the engine's events are mirrored (and other tests' runs end).
    await expect.poll(() => total("errored"), { timeout: 15_000 }).toBeGreaterThanOrEqual(refused.length);
    expect(await total("completed")).toBeGreaterThanOrEqual(1);
    expect(await total("created")).toBeGreaterThanOrEqual(refused.length + 1);
    expect(await figure("error-rate").locator("[data-summary='error-rate']").textContent()).toMatch(
      /^\d+(\.\d)?% of the \d+ runs that ended in this window errored/,
    );
    expect(await figure("duration").locator("[data-summary='duration']").textContent()).toMatch(/p95 \d/);
    // Every minute with anything in it, as a table, once asked for.
    await page.getByText(/^The numbers per minute/).click();
    const numbers = page.getByRole("table", { name: "The metrics per minute" });
    await expect.poll(() => numbers.locator("tbody tr").count()).toBeGreaterThan(0);
    await page.getByText(/^The numbers per minute/).click();
    await screenshot("metrics");
    // The canvases cannot follow CSS variables: they are drawn again in the dark theme's colours.
    await page.emulateMedia({ colorScheme: "dark" });
    await screenshot("metrics-dark");
    await page.emulateMedia({ colorScheme: null });
  });

  it("lists the top errors by message shape, linking to an instance that failed so", async () => {
    expect(group).toBeDefined();
    const row = page.locator("table.top-errors tbody tr", { hasText: MESSAGE });
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
    expect(await row.locator("th").textContent()).toBe(group?.name);
    await expect
      .poll(async () => Number(await row.locator("[data-field='count']").textContent()), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(refused.length);
    const version = (await instanceOf(refused[0] ?? "")).versionId;
    expect(
      await row.locator(".versions li").evaluateAll((items) => items.map((item) => item.getAttribute("title"))),
    ).toContain(version);
    await screenshot("metrics-errors", page.getByRole("region", { name: "Top errors" }));

    const example = row.getByRole("link");
    const id = (await example.textContent()) ?? "";
    expect(refused).toContain(id);
    await example.click();
    await page.getByRole("heading", { name: id }).waitFor();
    await page.locator(".instance-title .badge", { hasText: "Errored" }).waitFor();
    expect(await page.getByRole("status").filter({ hasText: MESSAGE }).count()).toBe(1);
  });

  it("shows the step whose failures ended the runs in the steps table", async () => {
    await page.goto(`${origin}/#/workflows/order-approval/metrics?bucket=1m&window=1h`);
    // The refused orders fail their first step, which ends them (a NonRetryableError is not retried).
    const row = page.locator("table.failing-steps tbody tr[data-step='validate order']");
    await expect
      .poll(async () => Number(await row.locator("[data-field='runs-ended']").textContent()), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(refused.length);
    expect(Number(await row.locator("[data-field='failed']").textContent())).toBeGreaterThanOrEqual(refused.length);
    // The steps that fail most come first.
    expect(await page.locator("table.failing-steps tbody tr").first().getAttribute("data-step")).toBe("validate order");
  });

  it("compares the newest version with the one before, or says there is only one", async () => {
    await page.goto(`${origin}/#/workflows/order-approval/metrics`);
    await page.locator("[data-comparison='single']").waitFor();

    const name = unique("dash-metrics-wf");
    await rest("PUT", `/workflows/${name}`, { class_name: "Billing", script_name: "billing" });
    await rest("PUT", `/workflows/${name}`, { class_name: "Billing", script_name: "billing", limits: { steps: 500 } });
    try {
      const versions = await rest<{ id: string }[]>("GET", `/workflows/${name}/versions`);
      await page.goto(`${origin}/#/workflows/${name}/metrics`);
      const rows = page.locator("table.comparison tbody tr");
      await expect
        .poll(() => rows.evaluateAll((all) => all.map((row) => row.dataset.version)))
        .toEqual(versions.slice(0, 2).map((version) => version.id));
      // Neither has run anything: no rate to show, and it says why.
      expect(await rows.locator("[data-field='error-rate']").allTextContents()).toEqual([
        "— (none ended)",
        "— (none ended)",
      ]);
      await page.getByText("No run ended with an error in this window.").waitFor();
      // Every read of the page has answered (the charts' last) before the workflow goes: a read
      // after would be refused, and the browser would log the 404.
      await page.getByRole("figure", { name: "Instances per minute" }).waitFor();
    } finally {
      await rest("DELETE", `/workflows/${name}`);
    }
  });

  it("shows each workflow's error rate of the last 24 hours in the list", async () => {
    await page.goto(`${origin}/#/`);
    const rate = page.locator("tr[data-workflow='order-approval'] .error-rate");
    await expect.poll(() => rate.count()).toBe(1);
    expect(Number(await rate.getAttribute("data-error-rate"))).toBeGreaterThan(0);
    expect(await rate.textContent()).toMatch(/^\d+(\.\d)?% of \d+ ended$/);
    // To the same day, in hours.
    await rate.click();
    await page.getByRole("figure", { name: "Instances per hour" }).waitFor();
    expect(linkQuery().get("window")).toBe("24h");
  });

  it("logged no errors in the browser", () => {
    expect(problems).toEqual([]);
  });
});
