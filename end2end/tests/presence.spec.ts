import { test, expect } from "./fixtures";
import { composer, openLead, team } from "./helpers";

test("1. teammates on the same lead see each other, typing comes and goes, a closed tab leaves", async ({ browser }) => {
  const aliceCtx = await browser.newContext();
  const bobCtx = await browser.newContext();
  const lead = await team(aliceCtx, bobCtx);
  const alice = await aliceCtx.newPage();
  const bob = await bobCtx.newPage();
  await openLead(alice, lead);
  await openLead(bob, lead);

  await expect(alice.getByTestId("viewer")).toHaveAttribute("title", "Bob Mate is viewing this lead");
  await expect(bob.getByTestId("viewer")).toHaveAttribute("title", "Alice Owner is viewing this lead");

  await composer(bob).pressSequentially("Hi Pia");
  await expect(alice.getByTestId("typing")).toHaveText("Bob Mate is typing…");
  // Nobody types any more: the indicator expires by itself.
  await expect(alice.getByTestId("typing")).toHaveText("", { timeout: 8_000 });

  await bob.close();
  await expect(alice.getByTestId("viewer")).toHaveCount(0);
  await aliceCtx.close();
  await bobCtx.close();
});

test("2. the inbox shows who is online", async ({ browser }) => {
  const aliceCtx = await browser.newContext();
  const bobCtx = await browser.newContext();
  await team(aliceCtx, bobCtx);
  const alice = await aliceCtx.newPage();
  await alice.goto("/inbox");
  await expect(alice.getByTestId("online-member")).toHaveCount(1);
  const bob = await bobCtx.newPage();
  await bob.goto("/inbox");
  await expect(alice.getByTestId("online-member").filter({ hasText: "Bob Mate" })).toHaveAttribute(
    "title",
    "Bob Mate is online",
  );
  await bob.close();
  await expect(alice.getByTestId("online-member").filter({ hasText: "Bob Mate" })).toHaveCount(0);
  await aliceCtx.close();
  await bobCtx.close();
});

test("3. a teammate's reply while you write asks before you send", async ({ browser }) => {
  const aliceCtx = await browser.newContext();
  const bobCtx = await browser.newContext();
  const lead = await team(aliceCtx, bobCtx);
  const alice = await aliceCtx.newPage();
  const bob = await bobCtx.newPage();
  await openLead(alice, lead);
  await openLead(bob, lead);

  await composer(alice).fill("Hi Pia, just checking in");
  await composer(bob).fill("Pia, Bob here with the contract");
  await bob.getByRole("button", { name: "Send" }).click();
  await expect(alice.getByTestId("message").filter({ hasText: "Bob here" })).toHaveCount(1);

  const warning = alice.getByTestId("collision");
  await expect(warning).toContainText(/^Bob Mate replied \d+ s ago/);
  await alice.getByRole("button", { name: "Send", exact: true }).click();
  await expect(alice.getByTestId("message").filter({ hasText: "just checking in" })).toHaveCount(0);
  await expect(composer(alice)).toHaveValue("Hi Pia, just checking in");

  await warning.getByRole("button", { name: "Send anyway" }).click();
  await expect(alice.getByTestId("message").filter({ hasText: "just checking in" })).toHaveCount(1);
  await expect(bob.getByTestId("message").filter({ hasText: "just checking in" })).toHaveCount(1);
  await expect(warning).toHaveCount(0);
  await aliceCtx.close();
  await bobCtx.close();
});
