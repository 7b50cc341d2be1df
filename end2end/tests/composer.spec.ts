import { test, expect } from "./fixtures";
import { composer, createLeadViaApi, leadWrote, openLead, signUpViaApi, uniqueEmail } from "./helpers";

test("1. a follow-up email keeps the thread's subject as Re: …", async ({ context, page }) => {
  await signUpViaApi(context, "Sue Subject", uniqueEmail("subject"), "Subject Co");
  const lead = await createLeadViaApi(context, { name: "Ron Reply", email: "ron@example.com" });
  await openLead(page, lead);
  // Each send's client id (its idempotency key) is a UUIDv7: time-ordered, so the server's
  // (workspace, client id) index takes it at its end.
  const clientIds: string[] = [];
  page.on("request", (req) => {
    if (req.url().endsWith("/rpc/send_message")) {
      const id = decodeURIComponent(req.postData() ?? "").match(/client_id\W+([0-9a-f-]{36})/);
      if (id) clientIds.push(id[1]);
    }
  });
  await page.getByLabel("Channel").selectOption("email");
  await page.getByLabel("Subject").fill("Pricing");
  await composer(page).fill("Here are our prices.");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByTestId("message").filter({ hasText: "Here are our prices." })).toBeVisible();
  await expect(page.getByLabel("Subject")).toHaveValue("Re: Pricing");
  await composer(page).fill("Any questions?");
  await page.getByRole("button", { name: "Send" }).click();
  const followUp = page.getByTestId("message").filter({ hasText: "Any questions?" });
  await expect(followUp.locator(".subject")).toHaveText("Re: Pricing");
  await expect(page.getByLabel("Subject")).toHaveValue("Re: Pricing");
  expect(clientIds).toHaveLength(2);
  for (const id of clientIds) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(clientIds[0] < clientIds[1]).toBe(true);
});

test("2. a lead who wrote on the website chat is answered there by default", async ({ context, page }) => {
  await signUpViaApi(context, "Cat Chat", uniqueEmail("chat"), "Chat Co");
  const lead = await createLeadViaApi(context, { name: "Wes Web", email: "wes@example.com" });
  const res = await context.request.post(`/api/messages/${lead}`, {
    data: { channel: "chat", body: "Do you ship to Canada?", direction: "inbound", client_id: crypto.randomUUID() },
  });
  expect(res.status()).toBe(201);
  await openLead(page, lead);
  await expect(page.getByLabel("Channel")).toHaveValue("chat");
  await composer(page).fill("We do, in 3 days.");
  await page.getByRole("button", { name: "Send" }).click();
  const answer = page.getByTestId("message").filter({ hasText: "We do, in 3 days." });
  await expect(answer.locator(".channel-chat")).toBeVisible();
  await expect(answer.getByTestId("receipt")).toHaveText("Sent");
  // Nothing shows it to the visitor yet (no chat widget), and the thread says so.
  await expect(answer.getByTestId("stand-in")).toHaveText("Website chat — kept here: no chat widget shows it to the visitor yet");
});

test("3. the composer counts SMS segments and stops a WhatsApp message over 4,096 characters before it is sent", async ({ context, page }) => {
  await signUpViaApi(context, "Len Length", uniqueEmail("length"), "Length Co");
  const lead = await createLeadViaApi(context, { name: "Tia Text", phone: "+1 415 555 0188", whatsapp: "+1 415 555 0188" });
  await leadWrote(context, lead, "whatsapp", "Hi there");
  await openLead(page, lead);
  await page.getByLabel("Channel").selectOption("sms");
  await composer(page).fill("a".repeat(161));
  await expect(page.getByTestId("length-counter")).toHaveText("161 / 1600 · 2 SMS segments");
  await composer(page).fill("Hello 😀");
  await expect(page.getByTestId("length-counter")).toHaveText("7 / 1600 · 1 SMS segment");

  await page.getByLabel("Channel").selectOption("whatsapp");
  await composer(page).fill("a".repeat(4_097));
  await expect(page.getByTestId("length-counter")).toHaveText("4097 / 4096");
  await expect(page.getByTestId("too-long")).toHaveText("A WhatsApp message can be at most 4096 characters; this one has 4097.");
  await expect(page.getByRole("button", { name: "Send" })).toBeDisabled();
  await composer(page).press("End");
  await composer(page).press("Backspace");
  await expect(page.getByTestId("too-long")).toBeHidden();
  await expect(page.getByRole("button", { name: "Send" })).toBeEnabled();
});

test("4. a long message shows its beginning with Show more, and stays open as new messages arrive", async ({ context, page }) => {
  await signUpViaApi(context, "Lou Long", uniqueEmail("long"), "Long Co");
  const lead = await createLeadViaApi(context, { name: "Val Verbose", phone: "+14155550199" });
  const long = "Start of a long story. " + "word ".repeat(300) + "THE END";
  const res = await context.request.post(`/api/messages/${lead}`, {
    data: { channel: "sms", body: long, direction: "inbound", client_id: crypto.randomUUID() },
  });
  expect(res.status()).toBe(201);
  await openLead(page, lead);
  const message = page.getByTestId("message").filter({ hasText: "Start of a long story." });
  await expect(message).not.toContainText("THE END");
  await message.getByRole("button", { name: "Show more" }).click();
  await expect(message).toContainText("THE END");
  // A new message redraws the list: what the reader opened stays open.
  const next = await context.request.post(`/api/messages/${lead}`, {
    data: { channel: "sms", body: "And one more thing", direction: "inbound", client_id: crypto.randomUUID() },
  });
  expect(next.status()).toBe(201);
  await expect(page.getByTestId("message").filter({ hasText: "And one more thing" })).toBeVisible();
  await expect(message).toContainText("THE END");
  await message.getByRole("button", { name: "Show less" }).click();
  await expect(message).not.toContainText("THE END");
});

test("a draft save still on its way when Send is pressed never brings the sent text back", async ({ context, page }) => {
  await signUpViaApi(context, "Sam Slow", uniqueEmail("slow-save"), "Slow Co");
  const lead = await createLeadViaApi(context, { name: "Lia Later", email: "lia@example.com" });
  await openLead(page, lead);
  // A slow network: every draft save takes 800 ms to reach the server, and its answer 500 ms
  // to come back (so the socket's news of it arrives first).
  await page.route("**/rpc/save_draft", async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 800));
    const response = await route.fetch();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await route.fulfill({ response });
  });
  await page.getByLabel("Channel").selectOption("email");
  await page.getByLabel("Subject").fill("Pricing");
  await composer(page).fill("Here are our prices.");
  await expect(page.getByTestId("draft-status")).toHaveText("Saving…");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByTestId("message").filter({ hasText: "Here are our prices." })).toBeVisible();
  // The send went after the save, so it deleted that draft: nothing comes back.
  await expect(page.getByTestId("draft-status")).not.toHaveText("Saving…");
  await expect(composer(page)).toHaveValue("");
  await expect(page.getByLabel("Subject")).toHaveValue("Re: Pricing");
  await expect
    .poll(async () => (await (await context.request.get(`/api/drafts/${lead}`)).json()).draft)
    .toBeNull();
  await page.unrouteAll({ behavior: "ignoreErrors" });
});
