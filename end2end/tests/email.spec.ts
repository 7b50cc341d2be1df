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
  await expect(page.getByText("No sandbox messages yet.")).toBeVisible();
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

/** Posts `raw` to the workspace's signed inbound endpoint, as a mail server would. */
async function receive(context: import("@playwright/test").BrowserContext, raw: string) {
  const endpoint = await context.request.post("/rpc/get_inbound_email", { headers: { Origin: baseURL } });
  expect(endpoint.status()).toBe(200);
  const { url, secret } = await endpoint.json();
  const { createHmac } = await import("node:crypto");
  const signature = "sha256=" + createHmac("sha256", secret).update(raw).digest("hex");
  const res = await context.request.post(url, { headers: { "X-Leadwire-Signature": signature }, data: raw });
  expect(res.status()).toBe(201);
}

test("4. a received email shows its picture inline, its file as a download and its original in a sandboxed frame, live", async ({ context }) => {
  await signUpViaApi(context, "File Reader", uniqueEmail("files"), "Files Co");
  const lead = await createLeadViaApi(context, { name: "Maya Files", email: "maya.files@example.com" });
  const thread = await context.newPage();
  await openLead(thread, lead);
  // A 1×1 PNG, embedded by the HTML part (cid:) and attached; a PDF beside it.
  const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
  const raw = [
    "From: Maya Files <maya.files@example.com>",
    "To: sales@leadwire.test",
    "Subject: The floor plan",
    `Message-ID: <files-${Date.now()}@mail.example.com>`,
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="MIX"',
    "",
    "--MIX",
    'Content-Type: multipart/alternative; boundary="ALT"',
    "",
    "--ALT",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "Plan attached, quote too.",
    "--ALT",
    "Content-Type: text/html; charset=utf-8",
    "",
    '<p>Plan <b>attached</b>, quote too.</p><img alt="embedded plan" src="cid:plan@example.com">',
    "--ALT--",
    "--MIX",
    "Content-Type: image/png",
    "Content-Transfer-Encoding: base64",
    "Content-ID: <plan@example.com>",
    'Content-Disposition: inline; filename="plan.png"',
    "",
    png,
    "--MIX",
    "Content-Type: application/pdf",
    "Content-Transfer-Encoding: base64",
    'Content-Disposition: attachment; filename="Quote.pdf"',
    "",
    Buffer.from("%PDF-1.4 quote").toString("base64"),
    "--MIX--",
    "",
  ].join("\r\n");
  await receive(context, raw);

  const message = thread.getByTestId("message").filter({ hasText: "Plan attached, quote too." });
  await expect(message).toBeVisible();
  const picture = message.getByRole("img", { name: "plan.png" });
  await expect(picture).toBeVisible();
  await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1);
  const file = message.getByRole("link", { name: /Quote\.pdf/ });
  await expect(file).toHaveAttribute("href", /^\/attachments\/[0-9a-f-]{36}$/);
  await expect(file).toHaveAttribute("download", "Quote.pdf");
  // The original opens on demand, sandboxed, with its embedded picture from our copy.
  await expect(message.locator("iframe")).toHaveCount(0);
  await message.getByText("Show original email").click();
  const original = message.frameLocator('iframe[title="The email as sent"]');
  await expect(original.getByText("Plan attached, quote too.")).toBeVisible();
  // (No script runs in that frame, Playwright's included: the picture's drawn size tells it loaded.)
  const embedded = original.getByRole("img", { name: "embedded plan" });
  await expect(embedded).toHaveAttribute("src", /^data:image\/png;base64,/);
  await expect.poll(async () => (await embedded.boundingBox())?.height).toBe(1);
  await expect(message.locator("iframe")).toHaveAttribute("sandbox", "allow-popups allow-popups-to-escape-sandbox");
  // After a reload, the same.
  await thread.reload();
  await hydrated(thread);
  await expect(thread.getByTestId("message").filter({ hasText: "Plan attached" }).getByRole("link", { name: /Quote\.pdf/ })).toBeVisible();
});

test("5. the owner connects a mailbox: bad settings are named at their field, and the connection's outcome shows by itself", async ({ context, page, consoleErrors }) => {
  consoleErrors.allow(/Failed to load resource: the server responded with a status of 422 .*\/rpc\/save_mailbox:/);
  await signUpViaApi(context, "Box Owner", uniqueEmail("mailbox"), "Box Co");
  await page.goto("/settings");
  await hydrated(page);
  const section = page.getByRole("region", { name: "Mailbox" });
  await section.getByLabel("IMAP server").fill("127.0.0.1");
  await section.getByLabel("Port", { exact: true }).fill("1");
  await section.getByLabel("Security").selectOption("none");
  await section.getByLabel("User name").fill("sales");
  await section.getByLabel("Password").fill("not-logged");
  // An address the browser accepts but no mail can reach: the server names the field, and
  // what was typed stays.
  await section.getByLabel("Its email address").fill("sales@localhost");
  await section.getByRole("button", { name: "Save and connect" }).click();
  await expect(section.getByText("Enter the mailbox's email address")).toBeVisible();
  await expect(section.getByLabel("IMAP server")).toHaveValue("127.0.0.1");
  await section.getByLabel("Its email address").fill("sales@box.example");
  await section.getByRole("button", { name: "Save and connect" }).click();
  // Nothing listens on port 1: the reason appears without a reload, and no password is shown.
  await expect(section.getByTestId("mailbox-error")).toContainText("Cannot connect to 127.0.0.1:1");
  await expect(section.getByLabel("Password")).toHaveValue("");
  await expect(section).not.toContainText("not-logged");
  await expect(section.getByText("Leave empty to keep the stored password.")).toBeVisible();
});
