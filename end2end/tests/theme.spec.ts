// The dark theme: it follows the system until the user picks one in Settings, the pick is drawn
// by the server on the next page (no flash of the other theme), other open tabs follow it, and
// the main screens stay readable in both themes at desktop and phone widths.
import { type Page } from "@playwright/test";
import { test, expect } from "./fixtures";
import { createLeadViaApi, hydrated, leadWrote, openLive, signUpViaApi, uniqueEmail } from "./helpers";

const DARK_BG = "rgb(15, 17, 23)";
const LIGHT_BG = "rgb(246, 247, 251)";

function background(page: Page) {
  return page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
}

/** WCAG contrast of each element's text against the nearest opaque background behind it. */
async function contrasts(page: Page, selectors: string[]): Promise<Record<string, number>> {
  return page.evaluate((selectors) => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const backdrop = (el: Element | null): string => {
      for (; el; el = el.parentElement) {
        const bg = getComputedStyle(el).backgroundColor;
        const parts = rgb(bg);
        if (parts.length === 3 || (parts.length === 4 && parts[3] === 1)) return bg;
      }
      return getComputedStyle(document.documentElement).backgroundColor;
    };
    const out: Record<string, number> = {};
    for (const sel of selectors) {
      const el = document.querySelector(sel);
      if (!el) continue;
      const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(rgb(backdrop(el)))];
      out[sel] = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    }
    return out;
  }, selectors);
}

test.describe("with the system set to dark", () => {
  test.use({ colorScheme: "dark" });

  test("the app is dark until Light is chosen, the choice is drawn by the server and reaches other tabs", async ({ context }) => {
    await signUpViaApi(context, "Nora Night", uniqueEmail("theme"), "Night Co");
    const other = await context.newPage();
    await openLive(other, "/leads");
    expect(await background(other)).toBe(DARK_BG);

    const page = await context.newPage();
    await openLive(page, "/settings");
    const appearance = page.getByRole("group", { name: "Appearance" });
    await expect(appearance.getByLabel("Match the system")).toBeChecked();
    await appearance.getByText("Light", { exact: true }).click();
    await expect(appearance.getByLabel("Light")).toBeChecked();
    await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
    expect(await background(page)).toBe(LIGHT_BG);
    // The tab that was already open follows without a reload.
    await expect(other.locator("html")).toHaveAttribute("data-theme", "light");
    await expect.poll(() => background(other)).toBe(LIGHT_BG);

    // The server draws the next page light: the HTML arrives with the choice.
    const html = await (await context.request.get("/leads")).text();
    expect(html).toMatch(/<html[^>]*data-theme="light"/);
    expect(html).toContain('<meta name="color-scheme" content="light"');
    await page.reload();
    await hydrated(page);
    await expect(page.getByRole("group", { name: "Appearance" }).getByLabel("Light")).toBeChecked();

    // Back to the system's choice by keyboard: the radio group takes the arrow keys.
    await page.getByRole("group", { name: "Appearance" }).getByLabel("Light").focus();
    await page.keyboard.press("ArrowLeft");
    await expect(page.getByRole("group", { name: "Appearance" }).getByLabel("Match the system")).toBeChecked();
    await expect(page.locator("html")).not.toHaveAttribute("data-theme", /.+/);
    expect(await background(page)).toBe(DARK_BG);
  });
});

for (const scheme of ["light", "dark"] as const) {
  for (const width of [1360, 375]) {
    test.describe(`${scheme} at ${width}px`, () => {
      test.use({ colorScheme: scheme, viewport: { width, height: width > 600 ? 900 : 800 } });

      test("inbox, thread and dashboard keep readable text and fit the width", async ({ context }, testInfo) => {
        await signUpViaApi(context, "Rea Dable", uniqueEmail(`contrast-${scheme}-${width}`), "Contrast Co");
        const lead = await createLeadViaApi(context, { name: "Lee Contrast", phone: "+14155550188", stage: "qualified" });
        await leadWrote(context, lead, "sms", "Is the offer still on?");
        const page = await context.newPage();
        for (const [path, selectors] of [
          ["/inbox", ["body", ".inbox-row .preview", ".unread-count", ".mainnav a[aria-current]"]],
          // The inbox as a workspace: the list, the selected lead's thread and its details.
          [`/inbox?lead=${lead}`, [".inbox-row .preview", ".message .body"]],
          [`/leads/${lead}`, [".message .body", ".message-meta", ".badge", ".composer textarea", ".btn.primary", ".draft-status"]],
          ["/dashboard", [".kpi-label", ".kpi-value", ".seg-btn.active", ".feed-item"]],
        ] as const) {
          await openLive(page, path);
          expect(await background(page)).toBe(scheme === "dark" ? DARK_BG : LIGHT_BG);
          const found = await contrasts(page, [...selectors]);
          for (const sel of selectors) {
            expect(found[sel], `${path} ${sel}`).toBeGreaterThanOrEqual(4.5);
          }
          // Nothing wider than the window: no sideways scrolling at any width.
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          expect(overflow, `${path} overflows sideways`).toBeLessThanOrEqual(0);
          await page.screenshot({ path: testInfo.outputPath(`${path.replace(/[^a-z]+/g, "-")}-${scheme}-${width}.png`), fullPage: true });
        }
      });
    });
  }
}
