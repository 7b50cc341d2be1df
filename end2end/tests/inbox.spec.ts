import { test, expect } from "./fixtures";
import { createLeadViaApi, hydrated, leadWrote, openLead, signUpViaApi, team, uniqueEmail } from "./helpers";

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
  await expect(page.getByTestId("kpi-replies-value")).toHaveText("3");
  await inbound(context.request, newer, "One more");
  await expect(page.getByTestId("kpi-replies-value")).toHaveText("4");
});

test("a reloaded inbox, its rows reused from the server's cache, hydrates and stays live", async ({ context, page }) => {
  await signUpViaApi(context, "Cache Reader", uniqueEmail("cache"), "Cache Co");
  const rita = await createLeadViaApi(context, { name: "Rita Reload", phone: "+14155550130", company: "Reload Ltd" });
  await inbound(context.request, rita, "Is the offer still open?");
  await page.goto("/inbox");
  await hydrated(page);
  const rows = page.getByTestId("inbox-row");
  await expect(rows).toHaveCount(1);

  // Nothing was written since the first load, so the server renders the reload from the rows,
  // markup and page data it kept (server/inbox_cache.rs); the fixture fails on any console
  // error, a hydration mismatch among them.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("connection-status")).toHaveText("Live");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("Rita Reload");
  await expect(rows.first()).toContainText("Reload Ltd");
  await expect(rows.first()).toContainText("Is the offer still open?");
  await expect(rows.first().getByTestId("unread")).toHaveText("1");

  // The hydrated page is live and its keys work.
  const sol = await createLeadViaApi(context, { name: "Sol Second", phone: "+14155550131" });
  await inbound(context.request, sol, "Hello from Sol");
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText("Sol Second");
  await page.keyboard.press("j");
  await expect(rows.first()).toBeFocused();
});

test("an inbound message shows unread in both teammates' inboxes; opening it clears only mine", async ({ browser }) => {
  const aliceCtx = await browser.newContext();
  const bobCtx = await browser.newContext();
  const lead = await team(aliceCtx, bobCtx);
  const aliceInbox = await aliceCtx.newPage();
  const bobInbox = await bobCtx.newPage();
  for (const page of [aliceInbox, bobInbox]) {
    await page.goto("/inbox");
    await hydrated(page);
    await expect(page.getByTestId("connection-status")).toHaveText("Live");
  }
  await inbound(aliceCtx.request, lead, "Is the offer still open?");
  for (const page of [aliceInbox, bobInbox]) {
    const top = page.getByTestId("inbox-row").first();
    await expect(top).toContainText("Pia Prospect");
    await expect(top.getByTestId("unread")).toHaveText("1");
  }

  // Alice reads it in another tab: her inbox tab clears, Bob's does not.
  const aliceThread = await aliceCtx.newPage();
  await openLead(aliceThread, lead);
  await expect(aliceInbox.getByTestId("inbox-row").first().getByTestId("unread")).toHaveCount(0);
  await expect(bobInbox.getByTestId("inbox-row").first().getByTestId("unread")).toHaveText("1");

  await aliceThread.getByRole("button", { name: "Mark as unread" }).click();
  await expect(aliceInbox.getByTestId("inbox-row").first().getByTestId("unread")).toHaveText("1");
  await aliceCtx.close();
  await bobCtx.close();
});

test("search, open beside the list, and the keyboard", async ({ context, page }) => {
  await signUpViaApi(context, "Key Boarder", uniqueEmail("keys"), "Keys Co");
  const olive = await createLeadViaApi(context, { name: "Olive Older", phone: "+14155550110" });
  const nina = await createLeadViaApi(context, { name: "Nina Newer", phone: "+14155550111" });
  await inbound(context.request, olive, "A question about pricing");
  await inbound(context.request, nina, "Shipping dates?");
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/inbox");
  await hydrated(page);
  const rows = page.getByTestId("inbox-row");
  await expect(rows).toHaveCount(2);
  // No row is the current one until one is opened.
  await expect(page.locator("[data-testid=inbox-row][aria-current]")).toHaveCount(0);

  await page.keyboard.press("/");
  await expect(page.getByLabel("Search conversations")).toBeFocused();
  await page.keyboard.type("pric");
  await expect(rows).toHaveCount(1);
  await expect(rows.first().locator("mark")).toHaveText("pricing");
  await expect(page).toHaveURL(/q=pric/);
  await page.keyboard.press("Escape");
  await expect(rows).toHaveCount(2);

  // j moves to the first row, Enter opens it beside the list; the URL keeps the selection.
  await page.keyboard.press("j");
  await expect(rows.first()).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("pane-lead")).toHaveText("Nina Newer");
  await expect(page).toHaveURL(new RegExp(`lead=${nina}`));
  await expect(page.getByTestId("message").filter({ hasText: "Shipping dates?" })).toHaveCount(1);
  // Only the opened row is marked current (for screen readers and the highlight).
  const current = page.locator("[data-testid=inbox-row][aria-current]");
  await expect(current).toHaveCount(1);
  await expect(current).toHaveAttribute("aria-current", "true");
  await expect(current).toContainText("Nina Newer");
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("pane-lead")).toHaveText("Nina Newer");
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("pane-lead")).toHaveCount(0);

  await page.getByLabel("Search conversations").fill("zzzz");
  await expect(page.getByText("No results")).toBeVisible();
});

test("each channel has one drawn icon, the same in the inbox, the thread and the composer", async ({ context, page }) => {
  await signUpViaApi(context, "Icon Checker", uniqueEmail("icons"), "Icon Co");
  const lead = await createLeadViaApi(context, { name: "Ivy Icons", phone: "+14155550123", email: "ivy@example.com" });
  await inbound(context.request, lead, "Hello by SMS");

  await page.goto("/inbox");
  await hydrated(page);
  const row = page.getByTestId("inbox-row").filter({ hasText: "Ivy Icons" });
  await expect(row.locator(".channel-icon svg.icon-sms")).toHaveCount(1);
  // The drawing itself: SVG shapes, not markup shown as text.
  await expect(row.locator(".channel-icon svg.icon-sms path")).toHaveCount(2);
  await expect(row.locator(".channel-icon svg.icon-sms")).toHaveText("");
  await expect(row.locator(".channel-icon")).toHaveAttribute("aria-label", "SMS");
  // A line drawing in the text colour: the stylesheet strokes it (the markup no longer says so).
  const drawn = await row.locator(".channel-icon svg.icon-sms path").first().evaluate((el) => {
    const style = getComputedStyle(el);
    return { fill: style.fill, width: style.strokeWidth, cap: style.strokeLinecap, stroke: style.stroke };
  });
  expect(drawn).toEqual({ fill: "none", width: "2px", cap: "round", stroke: expect.stringMatching(/^rgb/) });

  await openLead(page, lead);
  await expect(page.getByTestId("message").first().locator(".badge.channel svg.icon-sms")).toHaveCount(1);
  // The composer shows the chosen channel's icon only, and follows the choice.
  const icons = page.locator(".composer-channel-icon svg");
  await expect(icons).toHaveCount(5);
  await expect(page.locator(".composer-channel-icon svg:visible")).toHaveCount(1);
  await expect(page.locator(".composer-channel-icon svg.icon-sms")).toBeVisible();
  await page.getByLabel("Channel").selectOption("email");
  await expect(page.locator(".composer-channel-icon svg.icon-email")).toBeVisible();
  await expect(page.locator(".composer-channel-icon svg:visible")).toHaveCount(1);
});

test("on a wide screen the conversation list is resized by keyboard or by dragging, and keeps its width", async ({ context, page }) => {
  await page.setViewportSize({ width: 1360, height: 900 });
  await signUpViaApi(context, "Rosa Resize", uniqueEmail("resize"), "Resize Co");
  const lead = await createLeadViaApi(context, { name: "Wide Walter", phone: "+14155550166" });
  await inbound(context.request, lead, "Hello there");
  await page.goto(`/inbox?lead=${lead}`);
  await hydrated(page);
  await expect(page.getByTestId("pane-lead")).toHaveText("Wide Walter");
  // Beside the list there is nothing to go back to (Esc closes the thread).
  await expect(page.getByRole("button", { name: "← Back" })).toBeHidden();
  const list = page.locator(".inbox-list");
  const handle = page.getByRole("separator", { name: "Width of the conversation list" });
  const width = async () => Math.round((await list.boundingBox())!.width);
  const before = await width();

  // Three steps wider from the keyboard.
  await handle.focus();
  for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowRight");
  await expect.poll(width).toBeGreaterThanOrEqual(before + 70);
  await expect.poll(width).toBeLessThanOrEqual(before + 73);

  // Dragged to 420 px from the list's left edge.
  const grip = (await handle.boundingBox())!;
  const left = (await list.boundingBox())!.x;
  await page.mouse.move(grip.x + grip.width / 2, grip.y + 40);
  await page.mouse.down();
  await page.mouse.move(left + 420, grip.y + 40, { steps: 6 });
  await page.mouse.up();
  await expect.poll(width).toBe(420);
  await expect(handle).toHaveAttribute("aria-valuenow", "420");

  // Kept across a reload; Home makes it the narrowest.
  await page.reload();
  await hydrated(page);
  await expect.poll(width).toBe(420);
  await handle.focus();
  await page.keyboard.press("Home");
  await expect.poll(width).toBe(280);
});

test("the selected lead's stage and details sit beside its thread, editable in place and live; narrower screens switch between the two", async ({ browser }) => {
  const owner = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const mate = await browser.newContext();
  const lead = await team(owner, mate);
  // More conversations than one screen holds.
  for (let i = 0; i < 24; i++) {
    const other = await createLeadViaApi(owner, { name: `Lead ${i}` });
    await leadWrote(owner, other, "chat", `Question ${i}`);
  }
  await leadWrote(owner, lead, "chat", "Can we talk pricing?");
  const page = await owner.newPage();
  await page.goto(`/inbox?lead=${lead}`);
  await hydrated(page);
  await expect(page.getByTestId("connection-status")).toHaveText("Live");

  // Three panes: the list, the thread and the lead beside it; no switch needed. The page
  // itself does not scroll: the list does, on its own.
  const side = page.getByTestId("pane-side");
  await expect(page.getByTestId("inbox-row")).toHaveCount(25);
  const heights = await page.evaluate(() => {
    const list = document.querySelector(".inbox-list")!;
    return { page: document.documentElement.scrollHeight, view: innerHeight, list: list.scrollHeight, shown: list.clientHeight };
  });
  expect(heights.page).toBeLessThanOrEqual(heights.view);
  expect(heights.list).toBeGreaterThan(heights.shown);
  await expect(page.getByTestId("pane-lead")).toHaveText("Pia Prospect");
  await expect(page.locator(".pane-thread")).toBeVisible();
  await expect(side).toBeVisible();
  await expect(page.getByRole("button", { name: "Details" })).toBeHidden();

  // The lead's own activity, live; other leads' stays out.
  const activity = side.getByTestId("lead-activity");
  await expect(activity).toContainText("Can we talk pricing?");
  await leadWrote(owner, lead, "chat", "Any discount for a year upfront?");
  await expect(activity).toContainText("Any discount for a year upfront?");
  await expect(activity).not.toContainText("Question 3");

  // The details are edited in place.
  await side.getByRole("button", { name: "Edit" }).click();
  await side.getByLabel("Phone (SMS)").fill("+1 415 555 0199");
  await side.getByRole("button", { name: "Save" }).click();
  await expect(side.getByTestId("lead-facts")).toContainText("+14155550199");
  await side.getByTestId("stage-select").selectOption("qualified");
  await expect.poll(async () => (await (await owner.request.get(`/api/leads/${lead}`)).json()).stage).toBe("qualified");

  // A teammate's change shows without a reload.
  await expect(side.getByTestId("same-company")).toHaveCount(0);
  await createLeadViaApi(owner, { name: "Bea Brightline", company: "brightline" });
  const patched = await mate.request.patch(`/api/leads/${lead}`, { data: { company: "Brightline", deal_value: "2500" } });
  expect(patched.status()).toBe(200);
  await expect(page.getByTestId("pane-subtitle")).toContainText("Brightline · ");
  await expect(page.getByTestId("pane-subtitle")).toContainText("2,500");
  // Now at a company with another lead: the sidebar lists them.
  const sameCompany = side.getByTestId("same-company");
  await expect(sameCompany).toContainText("Also at Brightline");
  await expect(sameCompany.getByRole("link", { name: "Bea Brightline" })).toBeVisible();

  // Without room for three panes, the thread or the lead, switched.
  await page.setViewportSize({ width: 1200, height: 900 });
  await expect(side).toBeHidden();
  await page.getByRole("button", { name: "Details" }).click();
  await expect(side).toBeVisible();
  await expect(page.locator(".pane-thread")).toBeHidden();
  await page.getByRole("button", { name: "Conversation" }).click();
  await expect(side).toBeHidden();
  await expect(page.locator(".pane-thread")).toBeVisible();
  await owner.close();
  await mate.close();
});

test.describe("in a browser set to Kathmandu (UTC+5:45)", () => {
  test.use({ timezoneId: "Asia/Kathmandu" });

  test("inbox rows show names and messages as text, and times in the browser's zone, live too", async ({ context, page }) => {
    await signUpViaApi(context, "Zone Reader", uniqueEmail("rowzone"), "Zone Co");
    const lead = await createLeadViaApi(context, { name: `Tom <b>Bold</b> & "Sons" O'Neil`, phone: "+14155550190" });
    await inbound(context.request, lead, "<i>not italic</i> & <script>x</script>");
    // The rows come inside the page (their quotes swapped, see model::page_data): hydrating
    // decodes them instead of asking the server again.
    const asked: string[] = [];
    page.on("request", (r) => r.url().includes("/rpc/inbox") && asked.push(r.url()));
    await page.goto("/inbox");
    await hydrated(page);
    await expect(page.getByTestId("connection-status")).toHaveText("Live");
    expect(asked).toEqual([]);
    const row = page.getByTestId("inbox-row").first();
    await expect(row).toContainText(`Tom <b>Bold</b> & "Sons" O'Neil`);
    await expect(row).toContainText("<i>not italic</i> & <script>x</script>");
    await expect(row.locator("b, i, script")).toHaveCount(0);

    // The server wrote UTC; the browser rewrites it in its own zone ("2:30 PM", as chrono's %-I:%M %p).
    const kathmandu = async () => {
      const at = await row.locator("time").getAttribute("datetime");
      return new Date(at!).toLocaleTimeString("en-US", { timeZone: "Asia/Kathmandu", hour: "numeric", minute: "2-digit" });
    };
    await expect(row.locator("time")).toHaveText(await kathmandu());

    // A row that arrives live is drawn in the browser, in its zone from the start.
    await inbound(context.request, lead, "Later question");
    await expect(row).toContainText("Later question");
    await expect(row.locator("time")).toHaveText(await kathmandu());
  });
});
