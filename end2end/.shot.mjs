import { chromium } from "@playwright/test";
const base = process.env.BASE;
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
for (const [w, h, name] of [[1360, 1000, "wide"], [375, 1400, "narrow"]]) {
  const ctx = await browser.newContext({ viewport: { width: w, height: h } });
  const page = await ctx.newPage();
  await page.goto(base + "/login");
  await page.waitForSelector("html[data-hydrated]");
  await page.getByLabel("Email").fill("demo@leadwire.test");
  await page.getByLabel("Password").fill("leadwire-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForTimeout(1500);
  await page.goto(base + "/dashboard?period=30d");
  await page.waitForSelector("html[data-hydrated]");
  await page.waitForTimeout(1500);
  await page.screenshot({ path: `/tmp/shots/dash-${name}.png`, fullPage: true });
  await ctx.close();
}
await browser.close();
