import { test, expect } from "./fixtures";
import { composer, createLeadViaApi, hydrated, leadWrote, openLead, signUpViaApi, uniqueEmail } from "./helpers";

test.use({ viewport: { width: 375, height: 740 } });

test("on a phone a long lead name wraps and its stage stays on screen", async ({ context, page }) => {
  await signUpViaApi(context, "Pat Phone", uniqueEmail("phone"), "Pocket Co");
  await createLeadViaApi(context, { name: "Maximiliana Bartholomew-Featherstonehaugh-Worthington", stage: "qualified" });
  await page.goto("/leads");
  await hydrated(page);
  const badge = page.getByTestId("lead-row").locator(".badge");
  await expect(badge).toHaveText("Qualified");
  const box = await badge.boundingBox();
  expect(box).not.toBeNull();
  expect(box!.x + box!.width).toBeLessThanOrEqual(375);
  // Nothing to scroll sideways for.
  const overflow = await page.locator(".table-wrap").evaluate((el) => el.scrollWidth - el.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});

test("on a phone the lead page keeps its header small and the composer on the first screen", async ({ context, page }) => {
  await page.setViewportSize({ width: 375, height: 667 });
  await signUpViaApi(context, "Pat Phone", uniqueEmail("phone-lead"), "Pocket Co");
  const lead = await createLeadViaApi(context, { name: "Maximiliana Bartholomew-Featherstonehaugh-Worthington", phone: "+14155550177" });
  for (let i = 1; i <= 12; i++) {
    await leadWrote(context, lead, "sms", `Message number ${i} about the delivery schedule and the invoice.`);
  }
  await openLead(page, lead);
  await expect(page.getByTestId("message").last()).toContainText("Message number 12");
  const box = await composer(page).boundingBox();
  expect(box).not.toBeNull();
  expect(box!.y + box!.height).toBeLessThanOrEqual(667);
  // The channel choice fits the card instead of running off the screen.
  const select = await page.getByLabel("Channel").boundingBox();
  expect(select!.x + select!.width).toBeLessThanOrEqual(375);
});

test("on a phone the inbox shows one pane at a time, with a way back to the list", async ({ context, page }) => {
  await signUpViaApi(context, "Pia Pane", uniqueEmail("pane"), "Pane Co");
  const lead = await createLeadViaApi(context, { name: "One Pane", phone: "+14155550133" });
  await leadWrote(context, lead, "sms", "Hi from the phone");
  await page.goto("/inbox");
  await hydrated(page);
  await page.getByTestId("inbox-row").filter({ hasText: "One Pane" }).click();
  await expect(page.getByTestId("pane-lead")).toHaveText("One Pane");
  await expect(page.getByRole("list", { name: "Conversations" })).toBeHidden();
  await page.getByRole("button", { name: "← Back" }).click();
  await expect(page.getByTestId("pane-lead")).toHaveCount(0);
  await expect(page.getByRole("list", { name: "Conversations" })).toBeVisible();
});
