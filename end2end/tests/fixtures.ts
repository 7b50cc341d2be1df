// The `test` every spec imports: it fails a test on any uncaught page error or console error in any
// page the test opened (in its own context or in contexts it made with `browser.newContext()`),
// unless the test declared that error expected with `consoleErrors.allow(/pattern/)`.
// Hydration faults (a broken WASM bundle, a panic) surface exactly there, so a green run means the
// pages really came alive in the browser.
import { test as base, expect, type Browser, type BrowserContext, type Page } from "@playwright/test";

export interface ConsoleErrors {
  /** Declares errors matching `pattern` expected in this test (e.g. a 409 the test provokes). */
  allow(pattern: RegExp): void;
}

/** Lines that come from the test tool, not the app: Playwright runs its helper script in every
 *  frame, and a sandboxed frame without `allow-scripts` (our email previews) reports that
 *  (microsoft/playwright#33343). */
const TOOL_NOISE = [/Blocked script execution in '[^']*\/(outbox|inbound)\/[0-9a-f-]+\/html' because the document's frame is sandboxed/];

export const test = base.extend<{ consoleErrors: ConsoleErrors }>({
  consoleErrors: [
    async ({ browser, context }, use) => {
      const seen: string[] = [];
      const allowed: RegExp[] = [];
      const watchPage = (page: Page) => {
        page.on("pageerror", (err) => seen.push(`uncaught error on ${page.url()}: ${err.message}`));
        page.on("console", (msg) => {
          if (msg.type() !== "error") return;
          const at = msg.location().url ? ` (at ${msg.location().url}:${msg.location().lineNumber})` : "";
          seen.push(`console error on ${page.url()}: ${msg.text()}${at}`);
        });
      };
      const watchContext = (ctx: BrowserContext) => {
        ctx.pages().forEach(watchPage);
        ctx.on("page", watchPage);
      };
      watchContext(context);
      // Contexts a test makes itself (a second user, a second device) are watched too.
      const newContext = browser.newContext;
      (browser as Browser).newContext = async (...args: Parameters<Browser["newContext"]>) => {
        const ctx = await newContext.apply(browser, args);
        watchContext(ctx);
        return ctx;
      };
      await use({ allow: (pattern) => allowed.push(pattern) });
      browser.newContext = newContext;
      const unexpected = seen.filter((line) => ![...TOOL_NOISE, ...allowed].some((pattern) => pattern.test(line)));
      expect(unexpected, "page errors and console errors the test did not expect").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
