import { test, expect } from "./fixtures";
import { instanceA, instanceB } from "../playwright.config";
import { composer, openLive, PASSWORD, uniqueEmail } from "./helpers";

// Two instances of the release server behind no proxy at all: each tab talks to its own
// origin, the instances share one PostgreSQL database (end2end/two-instances.sh). The session
// cookie serves both (cookies are per host, not per port).
test("a message sent in a tab on one instance appears live in a tab on the other, both ways", async ({
  context,
}) => {
  const signup = await context.request.post(`${instanceA}/api/auth/signup`, {
    headers: { origin: instanceA },
    data: { name: "Two Instances", email: uniqueEmail("two"), password: PASSWORD, workspace: "Two Co" },
  });
  expect(signup.status()).toBe(201);
  const lead = await context.request.post(`${instanceA}/api/leads`, {
    headers: { origin: instanceA },
    data: { name: "Ada Lead", email: "ada@example.com", phone: "+14155550100" },
  });
  expect(lead.status()).toBe(201);
  const leadId = (await lead.json()).id;

  const onA = await context.newPage();
  const onB = await context.newPage();
  await openLive(onA, `${instanceA}/leads/${leadId}`);
  await openLive(onB, `${instanceB}/leads/${leadId}`);

  await composer(onA).fill("Sent through instance A");
  await onA.getByRole("button", { name: "Send" }).click();
  await expect(onB.getByTestId("message").filter({ hasText: "Sent through instance A" })).toHaveCount(1);

  await composer(onB).fill("Sent through instance B");
  await onB.getByRole("button", { name: "Send" }).click();
  await expect(onA.getByTestId("message").filter({ hasText: "Sent through instance B" })).toHaveCount(1);
  await expect(onA.getByTestId("message").filter({ hasText: "Sent through instance A" })).toHaveCount(1);
});
