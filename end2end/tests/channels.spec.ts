import { test, expect } from "./fixtures";
import { composer, createLeadViaApi, hydrated, leadWrote, openLead, signUpViaApi, team, uniqueEmail } from "./helpers";

// No provider account in the e2e server: SMS, WhatsApp and Instagram go to the sandbox, whose
// replies and delivery reports come back through the same signed webhook Twilio would call.
test("1. a WhatsApp message goes to the sandbox, labelled; the sandbox delivers and reads it, and the lead's reply lands live with a toast and an unread count", async ({ browser }) => {
  const ownerCtx = await browser.newContext();
  const mateCtx = await browser.newContext();
  await team(ownerCtx, mateCtx);
  const lead = await createLeadViaApi(ownerCtx, { name: "Wanda Wave", whatsapp: "+1 415 555 0123" });
  // Wanda wrote first: WhatsApp's 24-hour window is open for free text.
  await leadWrote(ownerCtx, lead, "whatsapp", "Hi, is the course still on?");

  const thread = await ownerCtx.newPage();
  await openLead(thread, lead);
  await thread.getByLabel("Channel").selectOption("whatsapp");
  await composer(thread).fill("Can we talk tomorrow?");
  await thread.getByRole("button", { name: "Send" }).click();
  const sent = thread.getByTestId("message").filter({ hasText: "Can we talk tomorrow?" });
  // Never shown as plain "Sent": the thread says it stopped in the sandbox.
  await expect(sent.getByTestId("receipt")).toHaveText("Sent");
  await expect(sent.getByTestId("stand-in")).toHaveText("Sandbox — not sent to the lead's phone");

  // The teammate's inbox, open on another machine.
  const inbox = await mateCtx.newPage();
  await inbox.goto("/inbox");
  await hydrated(inbox);
  await expect(inbox.getByTestId("connection-status")).toHaveText("Live");
  const row = inbox.getByTestId("inbox-row").filter({ hasText: "Wanda Wave" });
  await expect(row.getByTestId("unread")).toHaveText("1");

  // The sandbox shows what the lead's phone got, and acts as the phone.
  const sandbox = await ownerCtx.newPage();
  await sandbox.goto("/outbox");
  await hydrated(sandbox);
  const held = sandbox.getByTestId("sandbox-item").filter({ hasText: "Can we talk tomorrow?" });
  await expect(held).toContainText("To Wanda Wave (whatsapp:+14155550123)");
  await held.getByRole("button", { name: "Mark delivered" }).click();
  await expect(sent.getByTestId("receipt")).toHaveText("Delivered");
  await held.getByRole("button", { name: "Mark read" }).click();
  await expect(sent.getByTestId("receipt")).toHaveText(/^Read at \d{1,2}:\d{2} (AM|PM)/);

  await held.getByLabel("Reply as Wanda Wave").fill("Yes! 10am works.");
  await held.getByRole("button", { name: "Send as the lead" }).click();
  const reply = thread.getByTestId("message").filter({ hasText: "Yes! 10am works." });
  await expect(reply).toBeVisible();
  await expect(reply).toHaveClass(/inbound/);
  const toast = inbox.getByTestId("toast").filter({ hasText: "New message from Wanda Wave" });
  await expect(toast).toContainText("Yes! 10am works.");
  await expect(row.getByTestId("unread")).toHaveText("2");
  await ownerCtx.close();
  await mateCtx.close();
});

test("2. the owner connects SMS through Twilio: a bad Account SID is named at its field, and the saved connection shows its webhook URL", async ({ context, page, consoleErrors }) => {
  consoleErrors.allow(/Failed to load resource: the server responded with a status of 422 .*\/rpc\/save_twilio:/);
  await signUpViaApi(context, "Sam Sender", uniqueEmail("twilio"), "Texting Co");
  await page.goto("/settings");
  await hydrated(page);
  const sms = page.getByTestId("channel-sms");
  await expect(sms.getByTestId("channel-route")).toHaveText("Sandbox: SMS messages go to the outbox, not to the lead.");
  await sms.getByText("Connect through Twilio").click();
  await sms.getByLabel("Account SID").fill("AC123");
  await sms.getByLabel("Auth Token").fill("0123456789abcdef0123456789abcdef");
  await sms.getByLabel("Sender").fill("+1 415 555 0100");
  await sms.getByRole("button", { name: "Save" }).click();
  await expect(sms.getByText("An Account SID is AC followed by 32 hexadecimal digits")).toBeVisible();
  await expect(sms.getByLabel("Sender")).toHaveValue("+1 415 555 0100");

  await sms.getByLabel("Account SID").fill("AC0123456789abcdef0123456789abcdef");
  await sms.getByLabel("Auth Token").fill("0123456789abcdef0123456789abcdef");
  await sms.getByRole("button", { name: "Save" }).click();
  await expect(sms.getByTestId("channel-route")).toHaveText("Connected through Twilio.");
  await expect(sms.getByTestId("twilio-webhook")).toHaveText(/\/webhooks\/twilio\/[0-9a-f]{32}$/);
  await expect(sms.getByLabel("Sender")).toHaveValue("+14155550100");
  await expect(sms.getByLabel("Auth Token")).toHaveValue("");
  await expect(page.getByTestId("channel-whatsapp").getByTestId("channel-route")).toContainText("Sandbox");
});

test("3. an SMS the carrier could not deliver offers Retry and the lead's other channel, one click each; a channel switched off says so in the composer", async ({ context, page }) => {
  await signUpViaApi(context, "Fay Fallback", uniqueEmail("fallback"), "Fallback Co");
  const lead = await createLeadViaApi(context, { name: "Omar Offline", phone: "+1 415 555 0177", whatsapp: "+1 415 555 0177" });
  await leadWrote(context, lead, "whatsapp", "Send me the quote, please");
  await openLead(page, lead);
  await page.getByLabel("Channel").selectOption("sms");
  await composer(page).fill("Your quote is ready.");
  await page.getByRole("button", { name: "Send" }).click();
  const sms = page.getByTestId("message").filter({ hasText: "Your quote is ready." }).filter({ has: page.locator(".channel-sms") });
  await expect(sms.getByTestId("stand-in")).toBeVisible();

  const sandbox = await context.newPage();
  await sandbox.goto("/outbox");
  await hydrated(sandbox);
  await sandbox.getByTestId("sandbox-item").filter({ hasText: "Your quote is ready." })
    .getByRole("button", { name: "Mark undelivered" }).click();
  await expect(sms.getByTestId("receipt")).toContainText("Failed");
  await expect(sms.getByTestId("receipt")).toContainText("error 30003: the handset is unreachable");

  // The lead's other channel, one click: a new WhatsApp message with the same text.
  await sms.getByRole("button", { name: "Send as WhatsApp instead" }).click();
  const whatsapp = page.getByTestId("message").filter({ hasText: "Your quote is ready." }).filter({ has: page.locator(".channel-whatsapp") });
  await expect(whatsapp.getByTestId("receipt")).toHaveText("Sent");
  await expect(page.getByTestId("message").filter({ hasText: "Your quote is ready." })).toHaveCount(2);
  // And Retry puts the SMS itself back on its way.
  await sms.getByRole("button", { name: "Retry" }).click();
  await expect(sms.getByTestId("receipt")).toHaveText("Sent");

  // The owner switches the SMS sandbox off: the composer says why SMS can't be used.
  const off = await context.request.post("/rpc/set_sandbox", { form: { channel: "sms", on: "false" } });
  expect(off.status()).toBe(200);
  await page.reload();
  await hydrated(page);
  await page.getByLabel("Channel").selectOption("whatsapp");
  await expect(page.getByLabel("Channel").locator("option[value=sms]")).toBeDisabled();
  await expect(page.getByLabel("Channel").locator("option[value=sms]")).toHaveText("SMS — not connected — connect it in Settings → Channels");
});

test("4. the owner connects Instagram through Meta: a bad app secret is named at its field, and the saved connection shows the callback URL and a verify token that Meta's handshake accepts", async ({ context, page, consoleErrors }) => {
  consoleErrors.allow(/Failed to load resource: the server responded with a status of 422 .*\/rpc\/save_meta:/);
  await signUpViaApi(context, "Ines Insta", uniqueEmail("meta"), "Gram Co");
  await page.goto("/settings");
  await hydrated(page);
  const instagram = page.getByTestId("channel-instagram");
  await expect(instagram.getByTestId("channel-route")).toHaveText("Sandbox: Instagram messages go to the outbox, not to the lead.");
  await instagram.getByText("Connect through Meta").click();
  await instagram.getByLabel("Instagram account ID").fill("17841405822304914");
  await instagram.getByLabel("Page access token").fill("EAAJB3mLqWfQBOZC0ZAexample");
  await instagram.getByLabel("App secret").fill("not-hex");
  await instagram.getByRole("button", { name: "Save" }).click();
  await expect(instagram.getByText("An app secret is 32 hexadecimal digits")).toBeVisible();
  await expect(instagram.getByLabel("Instagram account ID")).toHaveValue("17841405822304914");

  await instagram.getByLabel("Page access token").fill("EAAJB3mLqWfQBOZC0ZAexample");
  await instagram.getByLabel("App secret").fill("0123456789abcdef0123456789abcdef");
  await instagram.getByRole("button", { name: "Save" }).click();
  await expect(instagram.getByTestId("channel-route")).toHaveText("Connected through Meta.");
  const callback = await instagram.getByTestId("meta-webhook").textContent();
  expect(callback).toMatch(/\/webhooks\/meta\/[0-9a-f]{32}$/);
  const token = await instagram.getByTestId("meta-verify-token").textContent();
  expect(token).toMatch(/^[0-9a-f]{32}$/);
  await expect(instagram.getByLabel("Page access token")).toHaveValue("");
  await expect(instagram.getByLabel("App secret")).toHaveValue("");

  // What Meta does when the owner pastes both into the App Dashboard.
  const handshake = await page.request.get(`${callback}?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=8734291`);
  expect(handshake.status()).toBe(200);
  expect(await handshake.text()).toBe("8734291");
});

test("5. outside WhatsApp's 24-hour window the composer offers the workspace's approved templates, and free text comes back the moment the lead writes", async ({ context, page, consoleErrors }) => {
  // The mistyped Content SID is refused (422), which the browser logs.
  consoleErrors.allow(/Failed to load resource: the server responded with a status of 422 .*\/rpc\/save_template:/);
  await signUpViaApi(context, "Tom Template", uniqueEmail("template"), "Template Co");
  const lead = await createLeadViaApi(context, { name: "Nora New", whatsapp: "+1 415 555 0166" });
  await openLead(page, lead);
  await page.getByLabel("Channel").selectOption("whatsapp");
  const closed = page.getByTestId("window-closed");
  await expect(closed).toContainText("more than 24 hours since Nora New last wrote on WhatsApp");
  await expect(composer(page)).toBeHidden();
  await expect(page.getByTestId("no-templates")).toBeVisible();
  await expect(page.getByRole("button", { name: "Send" })).toBeDisabled();

  // The owner adds the template approved in WhatsApp Manager.
  const settings = await context.newPage();
  await settings.goto("/settings");
  await hydrated(settings);
  const form = settings.getByTestId("template-form");
  await form.getByLabel("Template name").fill("quote_ready");
  await form.getByLabel("Language").fill("en_US");
  await form.getByLabel("Text").fill("Hi {{1}}, your quote for {{2}} is ready.");
  // Its Twilio Content SID (for a number connected through Twilio) is checked at its field.
  await form.getByLabel("Twilio Content SID (optional)").fill("HX12");
  await form.getByRole("button", { name: "Add template" }).click();
  await expect(form.getByText("A Twilio Content SID is HX followed by 32 letters and digits")).toBeVisible();
  await form.getByLabel("Twilio Content SID (optional)").fill("HXb5b62575e6e4ff6129ad7c8efe1f983e");
  await form.getByRole("button", { name: "Add template" }).click();
  await expect(settings.getByTestId("template")).toContainText("quote_ready");
  await expect(settings.getByTestId("template-content-sid")).toHaveText("Twilio HXb5b62575e6e4ff6129ad7c8efe1f983e");

  await page.reload();
  await hydrated(page);
  await page.getByLabel("Channel").selectOption("whatsapp");
  await page.getByLabel("Template", { exact: true }).selectOption({ label: "quote_ready (en_US)" });
  await page.getByLabel("Parameter {{1}}").fill("Nora");
  await page.getByLabel("Parameter {{2}}").fill("the new roof");
  await expect(page.getByTestId("template-preview")).toHaveText("Hi Nora, your quote for the new roof is ready.");
  await page.getByRole("button", { name: "Send" }).click();
  const sent = page.getByTestId("message").filter({ hasText: "Hi Nora, your quote for the new roof is ready." });
  await expect(sent.getByTestId("stand-in")).toHaveText("Sandbox — not sent to the lead's phone");

  // Nora answers (from the sandbox): the window opens, live, and the message box is back.
  const sandbox = await context.newPage();
  await sandbox.goto("/outbox");
  await hydrated(sandbox);
  const held = sandbox.getByTestId("sandbox-item").filter({ hasText: "your quote for the new roof" });
  await held.getByLabel("Reply as Nora New").fill("Great, thanks!");
  await held.getByRole("button", { name: "Send as the lead" }).click();
  await expect(page.getByTestId("message").filter({ hasText: "Great, thanks!" })).toBeVisible();
  await expect(closed).toBeHidden();
  await composer(page).fill("When can we start?");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByTestId("message").filter({ hasText: "When can we start?" }).getByTestId("receipt")).toHaveText("Sent");
});

test("6. importing templates from Meta says what it needs, next to the field", async ({ context, page, consoleErrors }) => {
  consoleErrors.allow(/Failed to load resource: the server responded with a status of 422 .*\/rpc\/import_templates/);
  await signUpViaApi(context, "Tia Templates", uniqueEmail("import"), "Templates Co");
  await page.goto("/settings");
  await hydrated(page);
  const form = page.getByTestId("template-import");
  const id = form.getByLabel("WhatsApp Business Account ID");
  await id.fill("my account");
  await form.getByRole("button", { name: "Import approved templates" }).click();
  await expect(form.locator(".field-error")).toContainText("is a number");
  // The sandbox stands in for WhatsApp here: Meta's API needs the connection's token.
  await id.fill("102290129340398");
  await form.getByRole("button", { name: "Import approved templates" }).click();
  await expect(form.locator(".field-error")).toContainText("Connect WhatsApp through Meta first");
  await expect(page.getByTestId("template-import-result")).toHaveCount(0);
});
