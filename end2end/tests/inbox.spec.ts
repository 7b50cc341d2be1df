import { test, expect } from "@playwright/test";
import { createLeadViaApi, hydrated, signUpViaApi, uniqueEmail } from "./helpers";

async function inbound(request: import("@playwright/test").APIRequestContext, lead: string, body: string) {
  const res = await request.post(`/api/messages/${lead}`, {
    data: { channel: "sms", body, direction: "inbound", client_id: crypto.randomUUID() },
  });
  expect(res.status()).toBe(201);
}

test("the inbox and the dashboard follow new messages without reload", async ({ context, page }) => {
  await signUpViaApi(context, "Inbox Watcher", uniqueEmail("inbox"), "Inbox Co");
  const older = await createLeadViaApi(context, { name: "Olive Older", phone: "+14155550110" });
  const newer = await createLeadViaApi(context, { name: "Nina Newer", phone: "+14155550111" });
  await inbound(context.request, older, "First question");
  await inbound(context.request, newer, "Second question");

  await page.goto("/inbox");
  await hydrated(page);
  await expect(page.getByTestId("connection-status")).toHaveText("Live");
  const rows = page.getByTestId("inbox-row");
  await expect(rows.first()).toContainText("Nina Newer");

  await inbound(context.request, older, "Are you still there?");
  await expect(rows.first()).toContainText("Olive Older");
  await expect(rows.first()).toContainText("Are you still there?");

  await page.getByRole("link", { name: "Dashboard" }).click();
  await expect(page.getByTestId("kpi-messages-7d")).toHaveText("3");
  await inbound(context.request, newer, "One more");
  await expect(page.getByTestId("kpi-messages-7d")).toHaveText("4");
});
