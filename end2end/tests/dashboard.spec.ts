import { type Page } from "@playwright/test";
import { test, expect } from "./fixtures";
import { composer, createLeadViaApi, hydrated, leadWrote, openLead, signUpViaApi, uniqueEmail } from "./helpers";

async function openDashboard(page: Page) {
  await page.goto("/dashboard?period=today");
  await hydrated(page);
  await expect(page.getByTestId("connection-status")).toHaveText("Live");
}

test("the dashboard in tab A follows a send, a win and an inbound message made elsewhere", async ({ context }) => {
  await signUpViaApi(context, "Dash Manager", uniqueEmail("dash"), "Dash Co");
  const lead = await createLeadViaApi(context, { name: "Wendy Winner", phone: "+14155550150", deal_value: "2500" });
  const tabA = await context.newPage();
  await openDashboard(tabA);
  const sent = tabA.getByTestId("kpi-sent-value");
  const conversion = tabA.getByTestId("kpi-conversion-value");
  const feed = tabA.getByTestId("activity-feed");
  await expect(sent).toHaveText("0");
  await expect(conversion).toHaveText("0 %");
  await expect(feed.locator("li").first()).toContainText("added Wendy Winner");

  // Tab B sends from the lead's composer: A's sent count and feed move without reload.
  const tabB = await context.newPage();
  await openLead(tabB, lead);
  await composer(tabB).fill("Hi Wendy, here is the proposal");
  await tabB.getByRole("button", { name: "Send" }).click();
  await expect(sent).toHaveText("1");
  // The chart replaces its empty state: one SMS bar segment in this hour.
  await expect(tabA.getByTestId("chart-messages").locator("rect")).toHaveCount(1);
  await expect(feed.locator("li").first()).toContainText("sent an SMS to Wendy Winner");
  await expect(feed.locator("li").first()).toContainText("here is the proposal");

  // Tab B marks the lead won: conversion and the feed update in A.
  await tabB.getByTestId("stage-select").selectOption("won");
  await expect(conversion).toHaveText("100 %");
  await expect(feed.locator("li").first()).toContainText("won Wendy Winner");
  await expect(tabA.getByTestId("kpi-won_value-value")).toHaveText("$2,500");

  // An integration records an inbound message: A shows a toast linking to the lead.
  const res = await context.request.post(`/api/messages/${lead}`, {
    data: { channel: "sms", body: "Signed and sent back!", direction: "inbound", client_id: crypto.randomUUID() },
  });
  expect(res.status()).toBe(201);
  const toast = tabA.getByTestId("toast");
  await expect(toast).toContainText("New message from Wendy Winner");
  await expect(toast).toContainText("Signed and sent back!");
  await expect(tabA.getByTestId("kpi-replies-value")).toHaveText("1");
  await toast.getByRole("button", { name: "Dismiss" }).click();
  await expect(toast).toHaveCount(0);
});

test("period and channel live in the URL, every KPI explains itself, and a booked meeting reaches the feed", async ({ consoleErrors, context, page }) => {
  // The test books a meeting too far ahead first: that refused request is logged by the browser.
  consoleErrors.allow(/Failed to load resource: the server responded with a status of \d+ .*\/rpc\/book_meeting:/);

  await signUpViaApi(context, "Dash Filters", uniqueEmail("filters"), "Filter Co");
  const lead = await createLeadViaApi(context, { name: "Mo Meeting", phone: "+14155550151" });
  await openDashboard(page);
  await page.getByRole("link", { name: "30 days" }).click();
  await expect(page).toHaveURL(/period=30d/);
  await page.getByLabel("Channel").selectOption("sms");
  await expect(page).toHaveURL(/channel=sms/);
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel("Channel")).toHaveValue("sms");
  await expect(page.getByRole("link", { name: "30 days" })).toHaveAttribute("aria-current", "true");

  const info = page.getByRole("button", { name: "What is Reply rate?" });
  await info.click();
  await expect(page.getByTestId("kpi-reply_rate").locator(".kpi-def")).toBeVisible();
  await expect(page.getByTestId("kpi-reply_rate").locator(".kpi-def")).toContainText("Outreach turns");
  await expect(page.getByTestId("chart-messages")).toHaveCount(0);
  await expect(page.getByText("Nothing to chart yet")).toBeVisible();

  const leadPage = await context.newPage();
  await openLead(leadPage, lead);
  await leadPage.getByLabel("Meeting time").fill("2030-01-15T10:30");
  await leadPage.getByRole("button", { name: "Log meeting booked" }).click();
  await expect(leadPage.getByText("The meeting must be within a year of today.")).toBeVisible();
  const soon = new Date(Date.now() + 2 * 86400_000);
  const local = `${soon.getFullYear()}-${String(soon.getMonth() + 1).padStart(2, "0")}-${String(soon.getDate()).padStart(2, "0")}T10:30`;
  await leadPage.getByLabel("Meeting time").fill(local);
  await leadPage.getByRole("button", { name: "Log meeting booked" }).click();
  await expect(leadPage.getByText("Meeting logged.")).toBeVisible();
  await expect(page.getByTestId("activity-feed").locator("li").first()).toContainText("booked a meeting with Mo Meeting");
  await expect(page.getByTestId("toast")).toHaveCount(0);

  // A live update draws the cards anew; the definition opened above stays open through it.
  await leadWrote(context, lead, "sms", "Sounds good");
  await expect(page.getByTestId("kpi-replies-value")).toHaveText("1");
  await expect(page.getByTestId("kpi-reply_rate").locator(".kpi-def")).toBeVisible();
  await expect(info).toHaveAttribute("aria-expanded", "true");
});

test("with two tabs open, both toast an inbound message and exactly one of them plays the chime", async ({ context }) => {
  // Counts the chime's tones in each tab (two oscillator starts per chime).
  await context.addInitScript(() => {
    const w = window as unknown as { __tones: number };
    w.__tones = 0;
    const start = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function (this: OscillatorNode, when?: number) {
      w.__tones += 1;
      return start.call(this, when);
    };
  });
  await signUpViaApi(context, "Dash Speaker", uniqueEmail("speaker"), "Speaker Co");
  const lead = await createLeadViaApi(context, { name: "Sol Sound", phone: "+14155550152" });
  const tabs = [await context.newPage(), await context.newPage()];
  for (const tab of tabs) {
    await openDashboard(tab);
    // Browsers play sound only after a gesture on the page.
    await tab.locator("body").press("Shift");
  }
  const res = await context.request.post(`/api/messages/${lead}`, {
    data: { channel: "sms", body: "Ping from Sol", direction: "inbound", client_id: crypto.randomUUID() },
  });
  expect(res.status()).toBe(201);
  // Each tab decides whether to chime before it shows the toast: once both toasts are up,
  // both decisions are made.
  for (const tab of tabs) {
    await expect(tab.getByTestId("toast")).toContainText("Ping from Sol");
  }
  const tones = await Promise.all(tabs.map((tab) => tab.evaluate(() => (window as unknown as { __tones: number }).__tones)));
  expect(tones.slice().sort()).toEqual([0, 2]);
});

test("notification settings saved in one tab reach a tab that was already open", async ({ context }) => {
  await signUpViaApi(context, "Pat Prefs", uniqueEmail("prefs"), "Prefs Co");
  const lead = await createLeadViaApi(context, { name: "Quinn Quiet", phone: "+14155550166" });
  const inbox = await context.newPage();
  await inbox.goto("/inbox");
  await hydrated(inbox);
  await expect(inbox.getByTestId("connection-status")).toHaveText("Live");
  const say = async (body: string) => {
    const res = await context.request.post(`/api/messages/${lead}`, {
      data: { channel: "sms", body, direction: "inbound", client_id: crypto.randomUUID() },
    });
    expect(res.status()).toBe(201);
  };

  // Switched off in Settings (another tab): the open inbox stays quiet from then on.
  const off = await context.request.put("/api/notification-prefs", {
    data: { inbound_message: false, email_opened: true, link_clicked: true, lead_converted: true, meeting_booked: true, sound: false },
  });
  expect(off.status()).toBe(200);
  await say("Are you there?");
  const row = inbox.getByTestId("inbox-row").filter({ hasText: "Quinn Quiet" });
  await expect(row.getByTestId("unread")).toHaveText("1");
  await expect(inbox.getByTestId("toast")).toHaveCount(0);

  // And switched on again: the next one toasts, without a reload.
  const on = await context.request.put("/api/notification-prefs", {
    data: { inbound_message: true, email_opened: true, link_clicked: true, lead_converted: true, meeting_booked: true, sound: false },
  });
  expect(on.status()).toBe(200);
  await say("Hello again");
  await expect(inbox.getByTestId("toast").filter({ hasText: "New message from Quinn Quiet" })).toContainText("Hello again");
});

test.describe("in a browser set to Kathmandu (UTC+5:45)", () => {
  test.use({ timezoneId: "Asia/Kathmandu" });

  test("the dashboard asks for the browser's named zone, and today's chart starts at its midnight", async ({ context }) => {
    await signUpViaApi(context, "Zone Viewer", uniqueEmail("zone"), "Zone Co");
    const lead = await createLeadViaApi(context, { name: "Nima Sherpa", phone: "+14155550177" });
    await leadWrote(context, lead, "sms", "Namaste!");
    const page = await context.newPage();
    // Chromium reports the zone by ICU's older name, Asia/Katmandu: the server knows both.
    const asked = page.waitForRequest(
      (r) => r.url().includes("/rpc/dashboard_analytics") && /tz=Asia\/Kath?mandu/.test(decodeURIComponent(r.postData() ?? "")),
    );
    await page.goto("/dashboard?period=today");
    await hydrated(page);
    await asked;
    // The first hour drawn is 00:00 in Kathmandu (a day in UTC would begin at 05:45 here).
    const chart = page.getByTestId("chart-messages");
    await expect(chart.locator("rect")).toHaveCount(1);
    await expect(chart.locator('text.axis[text-anchor="middle"]').first()).toHaveText("00:00");
  });
});
