import { test, expect } from "./fixtures";
import { createLeadViaApi, hydrated, openLead, openLive, signUpViaApi, uniqueEmail } from "./helpers";

test("an owner switches the workspace to euros and every amount follows", async ({ context, page }) => {
  await signUpViaApi(context, "Eva Euro", uniqueEmail("euro"), "Euro Co");
  const lead = await createLeadViaApi(context, { name: "Maya Euro", deal_value: "1200" });
  await openLead(page, lead);
  await expect(page.getByTestId("lead-deal")).toHaveText("$1,200");

  await page.goto("/settings");
  await hydrated(page);
  await expect(page.getByTestId("currency-example")).toHaveText("$12,500.50");
  await page.getByLabel("Currency").selectOption("EUR");
  await page.getByRole("button", { name: "Save currency" }).click();
  await expect(page.getByTestId("currency-example")).toHaveText("€12,500.50");

  await openLead(page, lead);
  await expect(page.getByTestId("lead-deal")).toHaveText("€1,200");
  await page.goto("/leads");
  await hydrated(page);
  await expect(page.getByTestId("lead-row").filter({ hasText: "Maya Euro" })).toContainText("€1,200");
  await page.goto("/dashboard");
  await hydrated(page);
  await expect(page.getByTestId("kpis")).toContainText("€1,200");
});

test("pages already open write amounts in the new currency at once", async ({ context }) => {
  await signUpViaApi(context, "Lou Live", uniqueEmail("live-euro"), "Live Euro Co");
  const lead = await createLeadViaApi(context, { name: "Pia Pound", deal_value: "900" });
  const leadPage = await context.newPage();
  await openLead(leadPage, lead);
  await expect(leadPage.getByTestId("lead-deal")).toHaveText("$900");
  const dashboard = await context.newPage();
  await openLive(dashboard, "/dashboard");
  await expect(dashboard.getByTestId("kpis")).toContainText("$900");
  const list = await context.newPage();
  await openLive(list, "/leads");
  await expect(list.getByTestId("lead-row").filter({ hasText: "Pia Pound" })).toContainText("$900");

  const settings = await context.newPage();
  await settings.goto("/settings");
  await hydrated(settings);
  await settings.getByLabel("Currency").selectOption("GBP");
  await settings.getByRole("button", { name: "Save currency" }).click();

  await expect(leadPage.getByTestId("lead-deal")).toHaveText("£900");
  await expect(dashboard.getByTestId("kpis")).toContainText("£900");
  await expect(list.getByTestId("lead-row").filter({ hasText: "Pia Pound" })).toContainText("£900");
});
