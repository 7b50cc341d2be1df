import { test, expect } from "./fixtures";
import { createLead, hydrated, PASSWORD, signUp, uniqueEmail } from "./helpers";

test("sign up, create a lead, reload, sign out and sign in again", async ({ page }) => {
  const email = uniqueEmail("owner");
  await signUp(page, "Olivia Owner", email, "Owner Co");
  await expect(page.getByRole("heading", { name: "No leads yet" })).toBeVisible();

  await createLead(page, "Maya Patel", "Brightline");
  await page.reload();
  await expect(page.getByTestId("lead-name")).toHaveText("Maya Patel");

  await page.goto("/leads");
  await hydrated(page);
  await expect(page.getByRole("link", { name: "Maya Patel" })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  // The session is gone: pages send us back to sign in.
  await page.goto("/leads");
  await expect(page).toHaveURL(/\/login\?next=\/leads$/);

  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/leads$/);
  await expect(page.getByRole("link", { name: "Maya Patel" })).toBeVisible();
});

test("form errors appear next to their field and nothing is created", async ({ consoleErrors, page }) => {
  // The test submits invalid forms: the browser logs each refused request.
  consoleErrors.allow(/Failed to load resource: the server responded with a status of \d+ .*\/rpc\/(signup|create_lead):/);

  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Your name").fill("Short Password");
  await page.getByLabel("Work email").fill(uniqueEmail("short"));
  await page.getByLabel("Password").fill("short");
  await page.getByLabel("Workspace name").fill("Nope");
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page.locator("#f-password-error")).toHaveText("Password must be at least 8 characters.");
  await expect(page).toHaveURL(/\/signup$/);

  await signUp(page, "Lead Maker", uniqueEmail("leads"), "Lead Co");
  await page.goto("/leads/new");
  await hydrated(page);
  await page.getByLabel("Name", { exact: true }).fill("Bad Email Lead");
  await page.getByLabel("Email").fill("ada@localhost");
  await page.getByRole("button", { name: "Create lead" }).click();
  await expect(page.locator("#f-input-email-error")).toContainText("valid email");
  await page.goto("/leads");
  await expect(page.getByRole("heading", { name: "No leads yet" })).toBeVisible();
});

test("a wrong password is refused with a clear message", async ({ consoleErrors, page }) => {
  // The refused sign-in is logged by the browser.
  consoleErrors.allow(/Failed to load resource: the server responded with a status of \d+ .*\/rpc\/login:/);

  const email = uniqueEmail("wrongpw");
  await signUp(page, "Wanda Wrong", email, "Wrong Co");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("not my password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Email or password is incorrect.");
  await expect(page).toHaveURL(/\/login$/);
});

test("in Settings a user changes their name and password; the top bar and the next sign-in follow", async ({ consoleErrors, page }) => {
  // The refused change (wrong current password) is logged by the browser.
  consoleErrors.allow(/Failed to load resource: the server responded with a status of 422 .*\/rpc\/change_password:/);

  const email = uniqueEmail("profile");
  await signUp(page, "Nora Name", email, "Name Co");
  await page.goto("/settings");
  await hydrated(page);
  const profile = page.getByRole("region", { name: "Your profile" });
  await expect(profile).toContainText(`Signed in as ${email}`);
  await profile.getByLabel("Your name").fill("Nora Newname");
  await profile.getByRole("button", { name: "Save name" }).click();
  await expect(profile.getByRole("status")).toHaveText("Your name is saved. Teammates see it from now on.");
  await expect(page.getByTestId("current-user")).toHaveText("Nora Newname");

  await profile.getByLabel("Current password").fill("not my password");
  await profile.getByLabel("New password").fill("a fresh secret 42");
  await profile.getByRole("button", { name: "Change password" }).click();
  await expect(profile.locator("#f-current-password-error")).toHaveText("That is not your current password.");
  await profile.getByLabel("Current password").fill(PASSWORD);
  await profile.getByRole("button", { name: "Change password" }).click();
  await expect(profile.getByRole("status").last()).toHaveText("Password changed. Your other devices are signed out.");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("a fresh secret 42");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("current-user")).toHaveText("Nora Newname");
});
