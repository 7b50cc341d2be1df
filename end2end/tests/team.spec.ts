import { test, expect } from "./fixtures";
import { createLead, createLeadViaApi, hydrated, openLead, openLive, team, uniqueEmail, signUp } from "./helpers";

test("a teammate accepts an invite and sees the same leads; the owner hands over ownership", async ({ browser, consoleErrors }) => {
  // The refused step-down of the only owner is logged by the browser.
  consoleErrors.allow(/Failed to load resource: the server responded with a status of 422 .*\/rpc\/set_member_role:/);
  const ownerContext = await browser.newContext();
  const owner = await ownerContext.newPage();
  await signUp(owner, "Ida Inviter", uniqueEmail("inviter"), "Shared Team");
  await createLead(owner, "Shared Prospect", "Common Corp");

  await owner.goto("/settings");
  await hydrated(owner);
  const teammateEmail = uniqueEmail("teammate");
  await owner.getByLabel("Teammate's email").fill(teammateEmail);
  // "Email it to them" is ticked: without an SMTP relay the email waits in the outbox.
  await expect(owner.getByLabel("Email it to them")).toBeChecked();
  await owner.getByRole("button", { name: "Invite", exact: true }).click();
  await expect(owner.getByTestId("invite-emailed")).toContainText(`Emailed to ${teammateEmail}`);
  const copied = await owner.getByTestId("invite-link").inputValue();
  expect(copied).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
  await expect(owner.getByRole("list", { name: "Pending invites" })).toContainText(teammateEmail);

  // The outbox shows the email as the teammate reads it; its link is the one to accept.
  await owner.getByTestId("invite-emailed").getByRole("link", { name: "outbox" }).click();
  const mail = owner.getByTestId("team-mail").filter({ hasText: teammateEmail });
  await expect(mail).toContainText("Ida Inviter invited you to Shared Team on Leadwire");
  await mail.locator("summary").click();
  const text = await mail.locator(".mail-text").innerText();
  const link = text.match(/https?:\/\/\S+\/invite\/[A-Za-z0-9_-]{43}/)![0];
  expect(link).toBe(copied);

  const teammateContext = await browser.newContext();
  const teammate = await teammateContext.newPage();
  await teammate.goto(link);
  await hydrated(teammate);
  await expect(teammate.getByRole("heading", { name: "Join Shared Team" })).toBeVisible();
  await teammate.getByLabel("Your name").fill("Tess Teammate");
  await teammate.getByLabel("Choose a password").fill("teammate password");
  await teammate.getByRole("button", { name: "Join workspace" }).click();
  await expect(teammate).toHaveURL(/\/leads$/);
  await expect(teammate.getByTestId("current-user")).toHaveText("Tess Teammate");
  await expect(teammate.getByRole("link", { name: "Shared Prospect" })).toBeVisible();

  // The owner now sees the teammate in the team list.
  await owner.goto("/settings");
  await expect(owner.getByRole("list", { name: "Members" })).toContainText("Tess Teammate");

  // Roles: the only owner cannot step down; once the teammate is an owner too, they can.
  await hydrated(owner);
  const member = (name: string) => owner.getByTestId("member").filter({ hasText: name }).locator(".badge");
  await owner.getByRole("button", { name: "Make member: Ida Inviter" }).click();
  await expect(owner.getByRole("alert")).toHaveText("A workspace needs an owner: make a teammate owner first.");
  await expect(member("Ida Inviter")).toHaveText("owner");
  await owner.getByRole("button", { name: "Make owner: Tess Teammate" }).click();
  await expect(member("Tess Teammate")).toHaveText("owner");
  await owner.getByRole("button", { name: "Make member: Ida Inviter" }).click();
  await expect(member("Ida Inviter")).toHaveText("member");
  // A member manages no roles.
  await expect(owner.getByRole("button", { name: /^Make / })).toHaveCount(0);

  await ownerContext.close();
  await teammateContext.close();
});

test("an owner removes a teammate after confirming; the teammate's open tab is signed out", async ({ browser }) => {
  const owner = await browser.newContext();
  const mate = await browser.newContext();
  await team(owner, mate);
  const bob = await mate.newPage();
  await openLive(bob, "/");

  const alice = await owner.newPage();
  await alice.goto("/settings");
  await hydrated(alice);
  const members = alice.getByRole("list", { name: "Members" });
  // Nobody is offered removing themselves.
  await expect(alice.getByRole("button", { name: "Remove Alice Owner" })).toHaveCount(0);
  await alice.getByRole("button", { name: "Remove Bob Mate" }).click();
  const question = alice.getByRole("alertdialog");
  await expect(question).toContainText("Remove Bob Mate? They are signed out everywhere at once");
  await question.getByRole("button", { name: "Cancel" }).click();
  await expect(question).toHaveCount(0);
  await alice.getByRole("button", { name: "Remove Bob Mate" }).click();
  await alice.getByTestId("confirm-remove").click();

  await expect(members).not.toContainText("Bob Mate");
  await expect(members).toContainText("Alice Owner");
  await expect(bob.getByTestId("connection-status")).toHaveText("Signed out");
  expect((await mate.request.get("/api/auth/me")).status()).toBe(401);

  await owner.close();
  await mate.close();
});

test("a teammate's new name reaches pages already open, without a reload", async ({ browser }) => {
  const ownerCtx = await browser.newContext();
  const mateCtx = await browser.newContext();
  await team(ownerCtx, mateCtx);
  const me = await (await ownerCtx.request.get("/api/auth/me")).json();
  const lead = await createLeadViaApi(ownerCtx, { name: "Rita Rename", owner_id: me.user.id });
  const sent = await ownerCtx.request.post(`/api/messages/${lead}`, {
    data: { channel: "chat", body: "Hello from Alice", client_id: crypto.randomUUID() },
  });
  expect(sent.status()).toBe(201);

  // The teammate's open pages name Alice as the lead's owner and the message's author.
  const thread = await mateCtx.newPage();
  await openLead(thread, lead);
  const message = thread.getByTestId("message").filter({ hasText: "Hello from Alice" });
  await expect(message.locator(".author")).toHaveText("Alice Owner");
  await expect(thread.getByTestId("lead-facts")).toContainText("Alice Owner");
  const leads = await mateCtx.newPage();
  await openLive(leads, "/leads");
  const row = leads.getByTestId("lead-row").filter({ hasText: "Rita Rename" });
  await expect(row).toContainText("Alice Owner");
  const inbox = await mateCtx.newPage();
  await openLive(inbox, "/inbox");
  const conversation = inbox.getByTestId("inbox-row").filter({ hasText: "Rita Rename" });
  await expect(conversation).toContainText("Alice Owner");
  const settings = await mateCtx.newPage();
  await openLive(settings, "/settings");
  const members = settings.getByRole("list", { name: "Members" });
  await expect(members).toContainText("Alice Owner");
  // And Alice's own other tab, in its top bar.
  const aliceTab = await ownerCtx.newPage();
  await openLive(aliceTab, "/inbox");
  await expect(aliceTab.getByTestId("current-user")).toHaveText("Alice Owner");

  const renamed = await ownerCtx.request.post("/rpc/rename_me", { form: { name: "Alice Newname" } });
  expect(renamed.status()).toBe(200);

  await expect(message.locator(".author")).toHaveText("Alice Newname");
  await expect(thread.getByTestId("lead-facts")).toContainText("Alice Newname");
  await expect(row).toContainText("Alice Newname");
  await expect(conversation).toContainText("Alice Newname");
  await expect(members).toContainText("Alice Newname");
  await expect(members).not.toContainText("Alice Owner");
  await expect(aliceTab.getByTestId("current-user")).toHaveText("Alice Newname");
  await ownerCtx.close();
  await mateCtx.close();
});

test("a role change reaches the member's open pages and a teammate joining reaches open team lists, without a reload", async ({ browser }) => {
  const owner = await browser.newContext();
  const mate = await browser.newContext();
  const lead = await team(owner, mate);
  const bobId = (await (await mate.request.get("/api/auth/me")).json()).user.id;

  // Bob, a member, has a lead open in the inbox and on its page, and Settings in a third tab.
  const page = await mate.newPage();
  await openLead(page, lead);
  const inbox = await mate.newPage();
  await openLive(inbox, `/inbox?lead=${lead}`);
  const settings = await mate.newPage();
  await openLive(settings, "/settings");
  for (const tab of [page, inbox]) {
    await expect(tab.getByRole("button", { name: "Delete lead…", includeHidden: true })).toHaveCount(0);
  }
  await expect(settings.getByRole("heading", { name: "Delete workspace" })).toHaveCount(0);
  await expect(settings.getByLabel("Currency")).toHaveCount(0);
  const badge = settings.getByTestId("member").filter({ hasText: "Bob Mate" }).locator(".badge");
  await expect(badge).toHaveText("member");

  // Alice makes him an owner: what owners may do appears on his open pages.
  const promoted = await owner.request.post("/rpc/set_member_role", { form: { user_id: bobId, role: "owner" } });
  expect(promoted.status()).toBe(200);
  await expect(page.getByRole("button", { name: "Delete lead…" })).toBeVisible();
  // (The inbox may keep its lead's details behind a switch: present is what matters there.)
  await expect(inbox.getByRole("button", { name: "Delete lead…", includeHidden: true })).toHaveCount(1);
  await expect(badge).toHaveText("owner");
  await expect(settings.getByRole("heading", { name: "Delete workspace" })).toBeVisible();
  await expect(settings.getByLabel("Currency")).toBeVisible();

  // And a member again: it goes.
  const demoted = await owner.request.post("/rpc/set_member_role", { form: { user_id: bobId, role: "member" } });
  expect(demoted.status()).toBe(200);
  for (const tab of [page, inbox]) {
    await expect(tab.getByRole("button", { name: "Delete lead…", includeHidden: true })).toHaveCount(0);
  }
  await expect(badge).toHaveText("member");
  await expect(settings.getByRole("heading", { name: "Delete workspace" })).toHaveCount(0);

  // Someone joins: Bob's open team list shows them, and so do the owner choices of his lead's form.
  await page.getByRole("button", { name: "Edit", exact: true }).click();
  const ownerChoice = page.getByLabel("Owner", { exact: true });
  await expect(ownerChoice).toContainText("Alice Owner");
  await page.getByRole("button", { name: "Cancel", exact: true }).click();
  const newcomer = await browser.newContext();
  const invite = await owner.request.post("/rpc/invite_teammate", { form: { email: uniqueEmail("cleo") } });
  const token = (await invite.json()).link.split("/").pop();
  const joined = await newcomer.request.post("/rpc/accept_invite", {
    form: { token, name: "Cleo Newcomer", password: "newcomer password" },
  });
  expect(joined.status()).toBe(200);
  await expect(settings.getByRole("list", { name: "Members" })).toContainText("Cleo Newcomer");
  await page.getByRole("button", { name: "Edit", exact: true }).click();
  await expect(ownerChoice).toContainText("Cleo Newcomer");

  await owner.close();
  await mate.close();
  await newcomer.close();
});
