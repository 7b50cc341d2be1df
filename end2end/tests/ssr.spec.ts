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
  // The stage is shown once, as the value of the stage control, rendered on the server.
  await expect(page.getByTestId("stage-select")).toHaveValue("qualified");
  await expect(page.getByTestId("lead-deal")).toHaveText("$4,200");
});
