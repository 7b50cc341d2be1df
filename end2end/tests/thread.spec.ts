import { test, expect, type BrowserContext } from "@playwright/test";
import {
  composer,
  createLeadViaApi,
  hydrated,
  logInViaApi,
  openLead,
  signUpViaApi,
  uniqueEmail,
} from "./helpers";

async function setUp(context: BrowserContext, who: string) {
  const email = uniqueEmail(who);
  await signUpViaApi(context, "Thread Tester", email, "Thread Co");
  const leadA = await createLeadViaApi(context, { name: "Ada Lead", email: "ada@example.com", phone: "+14155550100" });
  const leadB = await createLeadViaApi(context, { name: "Bob Lead", email: "bob@example.com", phone: "+14155550101" });
  return { email, leadA, leadB };
}

async function storedDraft(context: BrowserContext, leadId: string) {
  const res = await context.request.get(`/api/drafts/${leadId}`);
  expect(res.status()).toBe(200);
  return (await res.json()).draft;
}

test("1. a typed draft survives a reload", async ({ context, page }) => {
  const { leadA } = await setUp(context, "reload");
  await openLead(page, leadA);
  await composer(page).fill("Hi Ada, about your demo");
  await expect(page.getByTestId("draft-status")).toHaveText("Draft saved");
  expect((await storedDraft(context, leadA)).content).toBe("Hi Ada, about your demo");

  await page.reload();
  await hydrated(page);
  await expect(composer(page)).toHaveValue("Hi Ada, about your demo");
});

test("2. a message sent in one tab appears in the other without reload", async ({ context }) => {
  const { leadA } = await setUp(context, "twotabs");
  const tab1 = await context.newPage();
  const tab2 = await context.newPage();
  await openLead(tab1, leadA);
  await openLead(tab2, leadA);

  await composer(tab1).fill("Sent from tab one");
  await tab1.getByRole("button", { name: "Send" }).click();
  await expect(tab1.getByTestId("message").filter({ hasText: "Sent from tab one" })).toHaveCount(1);
  await expect(tab2.getByTestId("message").filter({ hasText: "Sent from tab one" })).toHaveCount(1);
  await expect(composer(tab1)).toHaveValue("");
});

test("3. drafts stay with their lead across switching, and sending clears them", async ({ context, page }) => {
  const { leadA, leadB } = await setUp(context, "switch");
  await openLead(page, leadA);
  await composer(page).fill("Draft for Ada");

  // Switch leads inside the app (no reload), then come back.
  await page.getByRole("link", { name: "← Leads" }).click();
  await page.getByRole("link", { name: "Bob Lead" }).click();
  await expect(page.getByTestId("lead-name")).toHaveText("Bob Lead");
  await expect(composer(page)).toHaveValue("");
  await page.getByRole("link", { name: "← Leads" }).click();
  await page.getByRole("link", { name: "Ada Lead" }).click();
  await expect(page.getByTestId("lead-name")).toHaveText("Ada Lead");
  await expect(composer(page)).toHaveValue("Draft for Ada");

  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByTestId("message").filter({ hasText: "Draft for Ada" })).toHaveCount(1);
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("message").filter({ hasText: "Draft for Ada" })).toHaveCount(1);
  await expect(composer(page)).toHaveValue("");
  expect(await storedDraft(context, leadA)).toBeNull();
  expect(await storedDraft(context, leadB)).toBeNull();
});

test("4. a tab that was offline catches up on every message, once and in order", async ({ browser }) => {
  const first = await browser.newContext();
  const { email, leadA } = await setUp(first, "offline");
  const second = await browser.newContext();
  await logInViaApi(second, email);

  const tab1 = await first.newPage();
  const tab2 = await second.newPage();
  await openLead(tab1, leadA);
  await openLead(tab2, leadA);

  await second.setOffline(true);
  await expect(tab2.getByTestId("connection-status")).toHaveText("Offline");
  const bodies = [1, 2, 3, 4, 5].map((n) => `Offline catch-up ${n}`);
  for (const body of bodies) {
    await composer(tab1).fill(body);
    await tab1.getByRole("button", { name: "Send" }).click();
    await expect(tab1.getByTestId("message").filter({ hasText: body })).toHaveCount(1);
  }
  await expect(tab2.getByTestId("message").filter({ hasText: "Offline catch-up" })).toHaveCount(0);

  await second.setOffline(false);
  await expect(tab2.getByTestId("connection-status")).toHaveText("Live");
  const arrived = tab2.getByTestId("message").filter({ hasText: "Offline catch-up" });
  await expect(arrived).toHaveCount(5);
  await expect(arrived.locator(".body")).toHaveText(bodies);
  await first.close();
  await second.close();
});

test("5. a draft typed while the server is unreachable is saved when it returns", async ({ context, page }) => {
  const { leadA } = await setUp(context, "unreachable");
  await openLead(page, leadA);
  await context.setOffline(true);
  await composer(page).fill("Typed without a connection");
  await expect(page.getByTestId("draft-status")).toHaveText("Offline — will save when back");
  expect(await storedDraft(context, leadA)).toBeNull();

  await context.setOffline(false);
  await expect(page.getByTestId("draft-status")).toHaveText("Draft saved");
  expect((await storedDraft(context, leadA)).content).toBe("Typed without a connection");
  await page.reload();
  await hydrated(page);
  await expect(composer(page)).toHaveValue("Typed without a connection");
});
