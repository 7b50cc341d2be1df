import { test, expect } from "./fixtures";
import { hydrated, openLive, team } from "./helpers";

test("an owner deletes the workspace by typing its name; a teammate's open tab is signed out", async ({ browser, consoleErrors }) => {
  // The mistyped name is refused (422), which the browser logs.
  consoleErrors.allow(/Failed to load resource: the server responded with a status of 422 .*\/rpc\/delete_workspace/);
  const owner = await browser.newContext();
  const mate = await browser.newContext();
  await team(owner, mate);

  const bob = await mate.newPage();
  await openLive(bob, "/");
  // A member is not offered it.
  const bobSettings = await mate.newPage();
  await bobSettings.goto("/settings");
  await hydrated(bobSettings);
  await expect(bobSettings.getByRole("heading", { name: "Your profile" })).toBeVisible();
  await expect(bobSettings.getByRole("heading", { name: "Delete workspace" })).toHaveCount(0);
  await bobSettings.close();

  const alice = await owner.newPage();
  await alice.goto("/settings");
  await hydrated(alice);
  const confirm = alice.getByLabel("Type the workspace's name to confirm");
  await confirm.fill("aware co");
  await alice.getByRole("button", { name: "Delete workspace" }).click();
  await expect(alice.getByText("Type the workspace's name, Aware Co, to confirm.")).toBeVisible();
  await confirm.fill("Aware Co");
  await alice.getByRole("button", { name: "Delete workspace" }).click();

  await expect(alice).toHaveURL(/\/signup$/);
  await expect(bob.getByTestId("connection-status")).toHaveText("Signed out");
  expect((await owner.request.get("/api/auth/me")).status()).toBe(401);
  expect((await mate.request.get("/api/auth/me")).status()).toBe(401);

  await owner.close();
  await mate.close();
});
