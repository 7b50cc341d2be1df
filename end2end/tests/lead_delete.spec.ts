import { test, expect } from "./fixtures";
import { createLeadViaApi, leadWrote, openLead, openLive, team } from "./helpers";

test("an owner deletes a lead after confirming; a teammate's open page and inbox follow live", async ({ browser }) => {
  const owner = await browser.newContext();
  const mate = await browser.newContext();
  const lead = await team(owner, mate);
  await leadWrote(owner, lead, "sms", "Is the offer still open?");
  const stays = await createLeadViaApi(owner, { name: "Stays Around" });
  await leadWrote(owner, stays, "sms", "Hello from the lead that stays");

  // The teammate has the lead open in one tab and the inbox in another.
  const bob = await mate.newPage();
  await openLead(bob, lead);
  const bobInbox = await mate.newPage();
  await openLive(bobInbox, "/");
  await expect(bobInbox.getByTestId("inbox-row").filter({ hasText: "Pia Prospect" })).toBeVisible();
  // Members are not offered what they may not do.
  await expect(bob.getByRole("button", { name: "Delete lead…" })).toHaveCount(0);
  // Bob's browser still holds text for this lead that never reached the server (typed offline
  // on an earlier visit).
  await bobInbox.evaluate((id) => localStorage.setItem(`leadwire:draft:earlier-visit:${id}`, "{}"), lead);
  const keptHere = () => bob.evaluate((id) => Object.keys(localStorage).filter((k) => k.includes(id)), lead);
  // (Another tab's storage reaches this one asynchronously in Chromium: wait for it.)
  await expect.poll(keptHere).toHaveLength(1);

  const alice = await owner.newPage();
  await openLead(alice, lead);
  await alice.getByRole("button", { name: "Delete lead…" }).click();
  const question = alice.getByRole("alertdialog");
  await expect(question).toContainText("Delete Pia Prospect?");
  await expect(question).toContainText("can't be undone");
  // The safe answer has the focus, and Escape takes the question back.
  await expect(question.getByRole("button", { name: "Cancel" })).toBeFocused();
  await alice.keyboard.press("Escape");
  await expect(question).toHaveCount(0);
  await alice.getByRole("button", { name: "Delete lead…" }).click();
  await alice.getByTestId("confirm-delete").click();

  // The owner lands on the list without it; the teammate's tabs follow without a reload.
  await expect(alice).toHaveURL(/\/leads$/);
  await expect(alice.getByRole("link", { name: "Stays Around" })).toBeVisible();
  await expect(alice.getByRole("link", { name: "Pia Prospect" })).toHaveCount(0);
  await expect(bob.getByTestId("lead-deleted")).toContainText("This lead was deleted");
  await expect(bob.getByLabel("Message", { exact: true })).toHaveCount(0);
  // Nothing of it is left in Bob's browser either.
  await expect.poll(keptHere).toEqual([]);
  await expect(bobInbox.getByTestId("inbox-row").filter({ hasText: "Pia Prospect" })).toHaveCount(0);
  await expect(bobInbox.getByTestId("inbox-row").filter({ hasText: "Stays Around" })).toBeVisible();
  // Through the API it is gone too.
  const gone = await mate.request.get(`/api/leads/${lead}`);
  expect(gone.status()).toBe(404);

  await owner.close();
  await mate.close();
});
