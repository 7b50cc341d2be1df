import { expect, type Page, type BrowserContext } from "@playwright/test";

/** A unique address per test run, so parallel tests never collide. */
export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

export const PASSWORD = "correct horse battery";

/** Waits until the WASM client has taken over the server-rendered page. */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator("html[data-hydrated]")).toHaveCount(1);
}

/** Signs up through the form and lands on the leads page. */
export async function signUp(page: Page, name: string, email: string, workspace: string): Promise<void> {
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Work email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("Workspace name").fill(workspace);
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page).toHaveURL(/\/leads$/);
  await expect(page.getByTestId("current-user")).toHaveText(name);
}

/** Signs up through the JSON API: the context's cookie jar then holds the session. `origin`:
 * another server than the test's own (sent as the request's Origin too). */
export async function signUpViaApi(
  context: BrowserContext,
  name: string,
  email: string,
  workspace: string,
  origin = "",
) {
  const res = await context.request.post(`${origin}/api/auth/signup`, {
    headers: origin ? { origin } : {},
    data: { name, email, password: PASSWORD, workspace },
  });
  expect(res.status()).toBe(201);
}

/** Creates a lead through the New lead form and waits for its page. */
export async function createLead(page: Page, name: string, company: string): Promise<void> {
  await page.goto("/leads/new");
  await hydrated(page);
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Company").fill(company);
  await page.getByRole("button", { name: "Create lead" }).click();
  await expect(page).toHaveURL(/\/leads\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("lead-name")).toHaveText(name);
}

/** Creates a lead through the JSON API (with the context's session) and returns its id;
 * `origin` as for `signUpViaApi`. */
export async function createLeadViaApi(
  context: BrowserContext,
  data: Record<string, unknown>,
  origin = "",
): Promise<string> {
  const res = await context.request.post(`${origin}/api/leads`, { headers: origin ? { origin } : {}, data });
  expect(res.status()).toBe(201);
  return (await res.json()).id;
}

/** Signs an existing user in within another browser context (another device). */
export async function logInViaApi(context: BrowserContext, email: string): Promise<void> {
  const res = await context.request.post("/api/auth/login", { data: { email, password: PASSWORD } });
  expect(res.status()).toBe(200);
}

/** Opens a page of the app and waits until it is live (hydrated and socket connected). */
export async function openLive(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await hydrated(page);
  await expect(page.getByTestId("connection-status")).toHaveText("Live");
}

/** Opens a lead page and waits until the thread is live. */
export async function openLead(page: Page, leadId: string): Promise<void> {
  await openLive(page, `/leads/${leadId}`);
}

export function composer(page: Page) {
  return page.getByLabel("Message", { exact: true });
}

/** An owner and an invited teammate, each signed in in their own browser context. */
export async function team(owner: BrowserContext, mate: BrowserContext) {
  await signUpViaApi(owner, "Alice Owner", uniqueEmail("alice"), "Aware Co");
  const invite = await owner.request.post("/rpc/invite_teammate", { form: { email: uniqueEmail("bob") } });
  expect(invite.status()).toBe(200);
  const token = (await invite.json()).link.split("/").pop();
  const accepted = await mate.request.post("/rpc/accept_invite", {
    form: { token, name: "Bob Mate", password: PASSWORD },
  });
  expect(accepted.status()).toBe(200);
  return createLeadViaApi(owner, { name: "Pia Prospect", email: "pia@example.com" });
}


/** Records a message the lead sent (as an integration would): on WhatsApp and Instagram it opens
 *  the 24-hour window for free text. */
export async function leadWrote(context: BrowserContext, leadId: string, channel: string, body: string): Promise<void> {
  const res = await context.request.post(`/api/messages/${leadId}`, {
    data: { channel, body, direction: "inbound", client_id: crypto.randomUUID() },
  });
  expect(res.status()).toBe(201);
}
