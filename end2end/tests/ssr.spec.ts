import { test, expect } from "./fixtures";
import { signUpViaApi, uniqueEmail } from "./helpers";

test.use({ javaScriptEnabled: false });

test("pages render their content without JavaScript", async ({ context, page }) => {
  await signUpViaApi(context, "Nora NoScript", uniqueEmail("noscript"), "Static Co");
  const res = await context.request.post("/api/leads", {
    data: { name: "Rendered On Server", company: "SSR Ltd", stage: "qualified", deal_value: 4200 },
  });
  expect(res.status()).toBe(201);
  const lead = await res.json();

  await page.goto("/leads");
  await expect(page.getByRole("link", { name: "Rendered On Server" })).toBeVisible();
  await expect(page.getByRole("cell", { name: "$4,200" })).toBeVisible();
  await expect(page.locator("html[data-hydrated]")).toHaveCount(0);

  await page.goto(`/leads/${lead.id}`);
  await expect(page.getByTestId("lead-name")).toHaveText("Rendered On Server");
  await expect(page.getByText("Qualified").first()).toBeVisible();
});
