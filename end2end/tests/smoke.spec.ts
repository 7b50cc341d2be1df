// Every route of the app, signed out and signed in, in the bundle `make run` serves: each page must
// come alive in the browser (html[data-hydrated]) with no uncaught error and no console error (the
// shared fixture fails the test on those). A bundle that loads but cannot start fails here.
import { test, expect } from "./fixtures";
import { createLeadViaApi, hydrated, signUpViaApi, uniqueEmail } from "./helpers";
import type { Page } from "@playwright/test";

const NO_SUCH_LEAD = "00000000-0000-4000-8000-000000000000";
const PRIVATE_PAGES = ["/", "/inbox", "/leads", "/leads/new", "/dashboard", "/outbox", "/settings", `/leads/${NO_SUCH_LEAD}`];

async function visit(page: Page, path: string): Promise<void> {
  const res = await page.goto(path);
  expect(res, `no response for ${path}`).not.toBeNull();
  await hydrated(page);
}

test("signed out, every public page hydrates and every private one sends to sign-in", async ({ page }) => {
  await visit(page, "/login");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled();
  await visit(page, "/signup");
  await expect(page.getByRole("button", { name: "Create workspace" })).toBeEnabled();
  await visit(page, "/invite/not-a-real-token");
  for (const path of PRIVATE_PAGES) {
    await visit(page, path);
    await expect(page, `${path} signed out`).toHaveURL(/\/login(\?next=|$)/);
  }
});

test("signed in, every page hydrates", async ({ context, page, consoleErrors }) => {
  await signUpViaApi(context, "Smoke Tester", uniqueEmail("smoke"), "Smoke Co");
  const lead = await createLeadViaApi(context, { name: "Sid Smoke", email: "sid@example.com" });
  const sent = await context.request.post(`/api/messages/${lead}`, {
    data: { channel: "email", subject: "Smoke", body: "Hello Sid", client_id: crypto.randomUUID() },
  });
  expect(sent.status()).toBe(201);
  const email = (await sent.json()).id;

  for (const path of [...PRIVATE_PAGES.filter((p) => !p.includes(NO_SUCH_LEAD)), `/leads/${lead}`, `/outbox/${email}`]) {
    await visit(page, path);
    await expect(page, path).not.toHaveURL(/\/login/);
    await expect(page.getByTestId("current-user"), path).toHaveText("Smoke Tester");
    // A repeated id ties a label to another card's input (getByLabel, screen readers, clicks).
    const repeated = await page.evaluate(() => {
      const seen = new Map<string, number>();
      for (const el of document.querySelectorAll("[id]")) seen.set(el.id, (seen.get(el.id) ?? 0) + 1);
      return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
    });
    expect(repeated, `${path}: ids used more than once`).toEqual([]);
  }
  // Not-found pages answer 404, which Chromium reports on the console; that one line is expected.
  consoleErrors.allow(/Failed to load resource: the server responded with a status of 404/);
  for (const path of ["/no-such-page", `/leads/${NO_SUCH_LEAD}`]) {
    await visit(page, path);
    await expect(page.getByText(/not found|couldn't find/i).first(), path).toBeVisible();
  }
});

test("the browser gets the bundle by its hashed name, brotli-compressed and cached for good", async ({ page }) => {
  const wasm = page.waitForResponse((r) => /\/pkg\/leadwire\.[0-9a-f]{16}\.wasm$/.test(r.url()));
  await visit(page, "/login");
  const res = await wasm;
  const headers = await res.allHeaders();
  expect(headers["content-encoding"]).toBe("br");
  expect(headers["cache-control"]).toBe("public, max-age=31536000, immutable");
});
