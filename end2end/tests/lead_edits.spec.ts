import { test, expect } from "./fixtures";
import { hydrated, openLead, team } from "./helpers";

test("a teammate's change reaches the lead page live, and a stale edit becomes a merge instead of overwriting it", async ({ browser, consoleErrors }) => {
  // The stale save is answered 409 (with the current lead), which the browser logs.
  consoleErrors.allow(/Failed to load resource: the server responded with a status of 409 .*\/rpc\/update_lead/);
  const owner = await browser.newContext();
  const mate = await browser.newContext();
  const lead = await team(owner, mate);
  const alice = await owner.newPage();
  const bob = await mate.newPage();
  await openLead(alice, lead);
  await openLead(bob, lead);

  // Alice starts editing; meanwhile Bob wins the deal and saves a phone number.
  await alice.getByRole("button", { name: "Edit" }).click();
  await alice.getByLabel("Company").fill("Brightline");
  await alice.getByLabel("Phone (SMS)").fill("+44 20 7946 0000");
  await bob.getByTestId("stage-select").selectOption("won");
  const patched = await mate.request.patch(`/api/leads/${lead}`, { data: { phone: "+1 415 555 0100" } });
  expect(patched.status()).toBe(200);

  // Alice's page follows without a reload, and her form warns before she saves.
  await expect(alice.getByTestId("stage-select")).toHaveValue("won");
  await expect(alice.getByTestId("lead-moved-on")).toBeVisible();

  // Her save is refused: Bob's stage is taken into her form, the phone both changed is shown.
  await alice.getByRole("button", { name: "Save" }).click();
  const merge = alice.getByTestId("lead-merge");
  await expect(merge).toContainText("Their changes are now in the form: Stage");
  const clash = merge.getByTestId("lead-clash");
  await expect(clash).toContainText("Phone");
  await expect(clash).toContainText("yours +44 20 7946 0000");
  await expect(clash).toContainText("theirs +14155550100");
  await expect(alice.locator("#f-input-stage")).toHaveValue("won");
  await expect(alice.getByLabel("Company")).toHaveValue("Brightline");
  await clash.getByRole("button", { name: "Use theirs" }).click();
  await expect(alice.getByLabel("Phone (SMS)")).toHaveValue("+14155550100");
  await alice.getByRole("button", { name: "Save" }).click();

  // Saved with both people's changes; Bob sees Alice's company appear live.
  const facts = alice.getByTestId("lead-facts");
  await expect(facts).toContainText("+14155550100");
  await expect(alice.getByTestId("stage-select")).toHaveValue("won");
  await expect(bob.locator(".page-head .muted")).toHaveText("Brightline");
  const stored = await (await owner.request.get(`/api/leads/${lead}`)).json();
  expect(stored).toMatchObject({ company: "Brightline", phone: "+14155550100", stage: "won", version: 4 });
});

test("the leads list shows a lead a teammate adds, without a reload", async ({ browser }) => {
  const owner = await browser.newContext();
  const mate = await browser.newContext();
  await team(owner, mate);
  const page = await owner.newPage();
  await page.goto("/leads");
  await hydrated(page);
  await expect(page.getByTestId("connection-status")).toHaveText("Live");
  await expect(page.getByTestId("lead-row")).toHaveCount(1);
  const res = await mate.request.post("/api/leads", { data: { name: "Quinn Quickly", stage: "contacted" } });
  expect(res.status()).toBe(201);
  await expect(page.getByTestId("lead-row")).toHaveCount(2);
  await expect(page.getByTestId("lead-row").first()).toContainText("Quinn Quickly");
});
