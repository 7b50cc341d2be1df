// Files to leads: picked in the composer (uploaded at once, listed with Remove), sent with the
// text, shown in the thread and on the sandbox's phone; what a file cannot be is said at once.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { test, expect } from "./fixtures";
import { composer, createLeadViaApi, hydrated, leadWrote, openLead, signUpViaApi, uniqueEmail } from "./helpers";

const PNG = readFileSync(resolve(__dirname, "../../tests/fixtures/pixel.png"));

test("a picture attached to an SMS is sent with it and shown in the thread and on the sandbox's phone", async ({ context, page, consoleErrors }) => {
  consoleErrors.allow(/Failed to load resource: the server responded with a status of 422 .*\/api\/uploads/);
  await signUpViaApi(context, "Pia Picture", uniqueEmail("attach"), "Pictures Co");
  const lead = await createLeadViaApi(context, { name: "Max Media", phone: "+1 415 555 0199", whatsapp: "+1 415 555 0199" });
  // Max wrote on WhatsApp too: its 24-hour window is open (for the fallback below).
  await leadWrote(context, lead, "whatsapp", "Send me the plan?");
  await openLead(page, lead);
  await page.getByLabel("Channel").selectOption("sms");
  // Nothing attached yet: no list, no "Uploading…".
  await expect(page.getByRole("list", { name: "Attached files" })).toBeHidden();
  await expect(page.getByText("Uploading…")).toBeHidden();

  // A type no channel takes is refused at once, next to the button.
  await page.locator("#composer-file").setInputFiles({ name: "logo.svg", mimeType: "image/svg+xml", buffer: Buffer.from("<svg/>") });
  await expect(page.getByTestId("attach-error")).toContainText("Attach a JPEG, PNG or GIF picture");

  // Two pictures picked, one removed again.
  await page.locator("#composer-file").setInputFiles([
    { name: "floor-plan.png", mimeType: "image/png", buffer: PNG },
    { name: "wrong.png", mimeType: "image/png", buffer: PNG },
  ]);
  const files = page.getByTestId("attached-file");
  await expect(files).toHaveCount(2);
  await expect(page.getByTestId("attach-error")).toBeHidden();
  await page.getByRole("button", { name: "Remove wrong.png" }).click();
  await expect(files).toHaveCount(1);
  await expect(files.first()).toContainText("floor-plan.png");

  // Kept in this browser like the draft: a reload does not lose what was attached.
  await composer(page).fill("Here is the floor plan");
  await expect(page.getByTestId("draft-status")).toHaveText("Draft saved");
  await page.reload();
  await hydrated(page);
  await expect(files).toHaveCount(1);
  await expect(files.first()).toContainText("floor-plan.png");
  await expect(composer(page)).toHaveValue("Here is the floor plan");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  const sent = page.getByTestId("message").filter({ hasText: "Here is the floor plan" });
  const picture = sent.getByTestId("attachments").locator("img");
  await expect(picture).toHaveAttribute("alt", "floor-plan.png");
  await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  await expect(sent.getByTestId("stand-in")).toBeVisible();
  // The composer is empty again, files included, and stays so after a reload.
  await expect(files).toHaveCount(0);
  await expect(composer(page)).toHaveValue("");
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("connection-status")).toHaveText("Live");
  await expect(files).toHaveCount(0);

  // The sandbox's phone shows the picture with the text.
  const sandbox = await context.newPage();
  await sandbox.goto("/outbox");
  await hydrated(sandbox);
  const held = sandbox.getByTestId("sandbox-item").filter({ hasText: "Here is the floor plan" });
  await expect(held.locator("img")).toHaveAttribute("alt", "floor-plan.png");

  // The carrier could not deliver it: "Send as WhatsApp instead" takes the picture along.
  await held.getByRole("button", { name: "Mark undelivered" }).click();
  await expect(sent.getByTestId("receipt")).toContainText("Failed");
  await sent.getByRole("button", { name: "Send as WhatsApp instead" }).click();
  const onWhatsapp = page.getByTestId("message").filter({ hasText: "Here is the floor plan" }).filter({ has: page.locator(".channel-whatsapp") });
  await expect(onWhatsapp.locator('img[alt="floor-plan.png"]')).toBeVisible();

  // A picture alone is a message too.
  await page.locator("#composer-file").setInputFiles({ name: "photo.png", mimeType: "image/png", buffer: PNG });
  await expect(files).toHaveCount(1);
  await expect(page.getByRole("button", { name: "Send", exact: true })).toBeEnabled();
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByTestId("message").filter({ has: page.locator('img[alt="photo.png"]') })).toHaveCount(1);
});
