import { test, expect } from "./fixtures";
import { createLeadViaApi, hydrated, openLead, signUpViaApi, uniqueEmail } from "./helpers";

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
