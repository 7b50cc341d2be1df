import { type BrowserContext } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { test, expect } from "./fixtures";
import {
  composer,
  createLeadViaApi,
  hydrated,
  logInViaApi,
  openLead,
  PASSWORD,
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

test("5. a draft typed while the server is unreachable is saved when it returns", async ({ consoleErrors, context, page }) => {
  // The test takes the browser offline: requests made meanwhile fail by design.
  consoleErrors.allow(/net::ERR_INTERNET_DISCONNECTED/);

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

test("6. another tab of the same user sees the draft change live", async ({ context }) => {
  const { leadA } = await setUp(context, "livedraft");
  const tab1 = await context.newPage();
  const tab2 = await context.newPage();
  await openLead(tab1, leadA);
  await openLead(tab2, leadA);
  await composer(tab1).fill("Typed in the first tab");
  await expect(tab1.getByTestId("draft-status")).toHaveText("Draft saved");
  await expect(composer(tab2)).toHaveValue("Typed in the first tab");
  await expect(composer(tab2)).toHaveAttribute("placeholder", "Continue draft…");
});

test("7. older history loads on demand and new messages below the fold show a pill", async ({ context, page }) => {
  const { leadA } = await setUp(context, "history");
  // 25 messages with a page size of 20 (set for the e2e server).
  for (let i = 1; i <= 25; i++) {
    const res = await context.request.post(`/api/messages/${leadA}`, {
      data: { channel: "sms", body: `History ${i}`, client_id: crypto.randomUUID(), direction: "inbound" },
    });
    expect(res.status()).toBe(201);
  }
  await openLead(page, leadA);
  await expect(page.getByTestId("message")).toHaveCount(20);
  await expect(page.getByTestId("message").last()).toContainText("History 25");
  await page.getByRole("button", { name: "Load older messages" }).click();
  await expect(page.getByTestId("message")).toHaveCount(25);
  await expect(page.getByTestId("message").first()).toContainText("History 1");
  await expect(page.getByRole("button", { name: "Load older messages" })).toHaveCount(0);

  // Scrolled up to the top, a new inbound message does not yank the view: a pill offers it.
  await page.getByTestId("thread").evaluate((el) => el.scrollTo(0, 0));
  await page.getByTestId("thread").dispatchEvent("scroll");
  const res = await context.request.post(`/api/messages/${leadA}`, {
    data: { channel: "sms", body: "Fresh reply", client_id: crypto.randomUUID(), direction: "inbound" },
  });
  expect(res.status()).toBe(201);
  const pill = page.getByRole("button", { name: "↓ 1 new message" });
  await expect(pill).toBeVisible();
  await pill.click();
  await expect(pill).toHaveCount(0);
  await expect(page.getByTestId("message").filter({ hasText: "Fresh reply" })).toBeInViewport();
});

test("8. a message sent while offline waits, then is delivered exactly once", async ({ consoleErrors, context, page }) => {
  // The test takes the browser offline: requests made meanwhile fail by design.
  consoleErrors.allow(/net::ERR_INTERNET_DISCONNECTED/);

  const { leadA } = await setUp(context, "outbox");
  await openLead(page, leadA);
  await context.setOffline(true);
  await expect(page.getByTestId("connection-status")).toHaveText("Offline");
  await composer(page).fill("Sent from a tunnel");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByTestId("message-pending")).toContainText("Waiting for connection…");
  await expect(composer(page)).toHaveValue("");

  await context.setOffline(false);
  await expect(page.getByTestId("message").filter({ hasText: "Sent from a tunnel" })).toHaveCount(1);
  await expect(page.getByTestId("message-pending")).toHaveCount(0);
  const res = await context.request.get(`/api/messages/${leadA}`);
  const bodies = (await res.json()).messages.map((m: { body: string }) => m.body);
  expect(bodies.filter((b: string) => b === "Sent from a tunnel")).toHaveLength(1);
});

test("9. text being typed in one tab is never replaced by another tab's save", async ({ context }) => {
  const { leadA } = await setUp(context, "noclobber");
  const tab1 = await context.newPage();
  const tab2 = await context.newPage();
  await openLead(tab1, leadA);
  await openLead(tab2, leadA);

  // Tab 2 starts typing but has not saved yet when tab 1 saves other text. Tab 2's saves are
  // held until tab 1's has landed, so the order does not depend on the machine's speed.
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await tab2.route("**/rpc/save_draft", async (route) => {
    await held;
    await route.continue();
  });
  await composer(tab2).focus();
  await composer(tab2).pressSequentially("Tab two is typing", { delay: 5 });
  await composer(tab1).fill("Tab one saved this");
  await composer(tab1).blur();
  await expect(tab1.getByTestId("draft-status")).toHaveText("Draft saved");
  release();

  // Tab 2 keeps its text; its save lands on top of tab 1's newer version (409, then rebased).
  await expect(composer(tab2)).toHaveValue("Tab two is typing");
  await expect(tab2.getByTestId("draft-status")).toHaveText("Draft saved");
  const res = await context.request.get(`/api/drafts/${leadA}`);
  expect((await res.json()).draft.content).toBe("Tab two is typing");
  // And tab 1, which is not typing any more, follows the newest draft live.
  await expect(composer(tab1)).toHaveValue("Tab two is typing");
});

test("10. a tab whose session ended elsewhere says so, offers sign-in back to the same lead, and keeps the unsaved text", async ({ consoleErrors, context, page }) => {
  // The draft save after the sign-out is refused (401), which the browser logs.
  consoleErrors.allow(/Failed to load resource: the server responded with a status of 401/);

  const { email, leadA } = await setUp(context, "ended");
  await openLead(page, leadA);
  await composer(page).fill("Half-written reply");
  await expect(page.getByTestId("draft-status")).toHaveText("Draft saved");
  // Signed out from another tab: the server ends this tab's socket at once.
  const res = await context.request.post("/api/auth/logout");
  expect(res.status()).toBe(204);
  await expect(page.getByTestId("connection-status")).toHaveText("Signed out");
  const signIn = page.getByTestId("sign-in-again");
  await expect(signIn).toHaveAttribute("href", `/login?next=/leads/${leadA}`);

  // Typing goes on; the text stays in this browser and the footer says why it is not saved.
  await composer(page).fill("Half-written reply, and the rest of it");
  await expect(page.getByTestId("draft-status")).toHaveText("Signed out — your text is kept in this browser");

  await signIn.click();
  await expect(page).toHaveURL(new RegExp(`/login\\?next=/leads/${leadA}$`));
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(new RegExp(`/leads/${leadA}$`));
  await expect(page.getByTestId("connection-status")).toHaveText("Live");
  await expect(composer(page)).toHaveValue("Half-written reply, and the rest of it");
});

test("11. a send left in this browser's outbox is sent once after a reload, and the page still hydrates", async ({ context, page }) => {
  const { leadA } = await setUp(context, "outbox");
  await openLead(page, leadA);
  // What a tab that closed before the server answered leaves behind.
  const clientId = randomUUID();
  await page.evaluate(
    ([lead, id]) =>
      localStorage.setItem(
        `leadwire:outbox:${id}`,
        JSON.stringify({ lead_id: lead, input: { channel: "chat", body: "Left in the outbox", client_id: id } }),
      ),
    [leadA, clientId],
  );
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("message").filter({ hasText: "Left in the outbox" })).toHaveCount(1);
  await expect
    .poll(() => page.evaluate((id) => localStorage.getItem(`leadwire:outbox:${id}`), clientId))
    .toBeNull();
  const thread = await (await context.request.get(`/api/messages/${leadA}`)).json();
  expect(thread.messages.filter((m: { body: string }) => m.body === "Left in the outbox")).toHaveLength(1);
});
