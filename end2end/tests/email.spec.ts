import { test, expect } from "./fixtures";
import { baseURL } from "../playwright.config";
import { composer, createLeadViaApi, hydrated, openLead, signUpViaApi, team, uniqueEmail } from "./helpers";

// No SMTP relay in the e2e server: mail goes to the built-in outbox, whose viewer shows the
// email as the lead would see it, tracking pixel and links live.
test("1. an email opened from the outbox shows as read in the sender's thread, and a click as 🔗", async ({ context }) => {
  await signUpViaApi(context, "Mail Sender", uniqueEmail("mail"), "Mail Co");
  const lead = await createLeadViaApi(context, { name: "Olga Reader", email: "olga@example.com" });
  const thread = await context.newPage();
  await openLead(thread, lead);

  await thread.getByLabel("Channel").selectOption("email");
  await thread.getByLabel("Subject").fill("Your pricing");
  await composer(thread).fill(`Hi Olga,\n\nHere it is: ${baseURL}/healthz`);
  await thread.getByRole("button", { name: "Send" }).click();
  const sent = thread.getByTestId("message").filter({ hasText: "Here it is" });
  await expect(sent.getByTestId("receipt")).toHaveText("Sent");

  // Tab 2: the outbox, then the email itself. Loading it fetches the pixel.
  const outbox = await context.newPage();
  await outbox.goto("/outbox");
  await hydrated(outbox);
  await outbox.getByTestId("outbox-item").filter({ hasText: "Your pricing" }).getByRole("link").click();
  await expect(outbox.getByRole("heading", { name: "Your pricing" })).toBeVisible();
  const mail = outbox.frameLocator("iframe.mail-frame");
  await expect(mail.getByText("Hi Olga,")).toBeVisible();

  await expect(sent.getByTestId("receipt")).toHaveText(/^Read at \d{1,2}:\d{2} (AM|PM)/);
  await expect(sent.getByTestId("clicked")).toHaveCount(0);

  // Clicking the link goes through the tracked redirect to the real destination.
  const [popup] = await Promise.all([
    outbox.waitForEvent("popup"),
    mail.getByRole("link", { name: `${baseURL}/healthz` }).click(),
  ]);
  await expect(popup).toHaveURL(`${baseURL}/healthz`);
  await expect(sent.getByTestId("clicked")).toBeVisible();
  await expect(sent.getByTestId("clicked")).toHaveAttribute("title", /^Link clicked at /);
});

test("2. the outbox explains itself when empty", async ({ context, page }) => {
  await signUpViaApi(context, "Empty Outbox", uniqueEmail("empty-outbox"), "Quiet Co");
  await page.goto("/outbox");
  await hydrated(page);
  await expect(page.getByText("No SMTP relay is configured")).toBeVisible();
  await expect(page.getByText("Nothing here yet.")).toBeVisible();
});

test("3. replying as the lead from the outbox lands live in the thread, and a teammate gets a toast and an unread count", async ({ browser }) => {
  const ownerCtx = await browser.newContext();
  const mateCtx = await browser.newContext();
  const lead = await team(ownerCtx, mateCtx);
  const thread = await ownerCtx.newPage();
  await openLead(thread, lead);
  await thread.getByLabel("Channel").selectOption("email");
  await thread.getByLabel("Subject").fill("Next steps");
  await composer(thread).fill("Shall we meet on Thursday?");
  await thread.getByRole("button", { name: "Send" }).click();
  await expect(thread.getByTestId("message").filter({ hasText: "Shall we meet" }).getByTestId("receipt")).toHaveText("Sent");

  // The teammate's inbox, open on another machine (the owner reads the thread as it arrives).
  const inbox = await mateCtx.newPage();
  await inbox.goto("/inbox");
  await hydrated(inbox);
  await expect(inbox.getByTestId("connection-status")).toHaveText("Live");
  const row = inbox.getByTestId("inbox-row").filter({ hasText: "Pia Prospect" });
  await expect(row.getByTestId("unread")).toHaveCount(0);

  const outbox = await ownerCtx.newPage();
  await outbox.goto("/outbox");
  await hydrated(outbox);
  await outbox.getByTestId("outbox-item").filter({ hasText: "Next steps" }).getByRole("link").click();
  await expect(outbox.getByRole("heading", { name: "Reply as Pia Prospect" })).toBeVisible();
  await outbox.getByLabel("The lead writes").fill("Thursday at 3 works for me.");
  await outbox.getByRole("button", { name: "Reply as the lead" }).click();
  await expect(outbox.getByTestId("lead-reply-done")).toBeVisible();

  // The owner's open thread shows the reply (the quoted original folded off) without a reload.
  const reply = thread.getByTestId("message").filter({ hasText: "Thursday at 3 works for me." });
  await expect(reply).toBeVisible();
  await expect(reply).toContainText("Re: Next steps");
  await expect(reply.getByText("Shall we meet")).toBeHidden();
  // The quoted original is one click away.
  await reply.getByText("Show quoted text").click();
  await expect(reply.getByText(/> Shall we meet on Thursday\?/)).toBeVisible();
  // The teammate: a toast and an unread count.
  const toast = inbox.getByTestId("toast").filter({ hasText: "New message from Pia Prospect" });
  await expect(toast).toContainText("Thursday at 3 works for me.");
  await expect(row.getByTestId("unread")).toHaveText("1");
  await ownerCtx.close();
  await mateCtx.close();
});
