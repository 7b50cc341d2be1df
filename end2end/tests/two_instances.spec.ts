import { test, expect } from "./fixtures";
import type { Page } from "@playwright/test";
import { instanceA, instanceB, proxied } from "../playwright.config";
import { composer, createLeadViaApi, openLive, signUpViaApi, uniqueEmail } from "./helpers";

// One at a time: the nginx test counts what each instance answered while it ran.
test.describe.configure({ mode: "serial" });

/** Sends `text` from the tab `from` and waits for it to appear, once, in the tab `to`. */
async function sendAndSee(from: Page, to: Page, text: string) {
  await composer(from).fill(text);
  await from.getByRole("button", { name: "Send" }).click();
  await expect(to.getByTestId("message").filter({ hasText: text })).toHaveCount(1);
}

// Two instances of the release server behind no proxy at all: each tab talks to its own
// origin, the instances share one PostgreSQL database (end2end/two-instances.sh). The session
// cookie serves both (cookies are per host, not per port).
test("a message sent in a tab on one instance appears live in a tab on the other, both ways", async ({
  context,
}) => {
  await signUpViaApi(context, "Two Instances", uniqueEmail("two"), "Two Co", instanceA);
  const leadId = await createLeadViaApi(
    context,
    { name: "Ada Lead", email: "ada@example.com", phone: "+14155550100" },
    instanceA,
  );

  const onA = await context.newPage();
  const onB = await context.newPage();
  await openLive(onA, `${instanceA}/leads/${leadId}`);
  await openLive(onB, `${instanceB}/leads/${leadId}`);

  await sendAndSee(onA, onB, "Sent through instance A");
  await sendAndSee(onB, onA, "Sent through instance B");
  await expect(onA.getByTestId("message").filter({ hasText: "Sent through instance A" })).toHaveCount(1);
});

/** Requests other than pages an instance has answered so far (its `/metrics`, read directly,
 * not through nginx; `/metrics` itself counts as a page, so reading it changes nothing here). */
async function answered(request: import("@playwright/test").APIRequestContext, instance: string) {
  const res = await request.get(`${instance}/metrics`, { headers: { authorization: "Bearer two-instances-metrics" } });
  expect(res.status()).toBe(200);
  return (await res.text())
    .split("\n")
    .filter((line) => line.startsWith("leadwire_http_request_duration_seconds_count") && !line.includes('kind="page"'))
    .reduce((sum, line) => sum + Number(line.split(" ").pop()), 0);
}

// The README's nginx example (end2end/nginx-two-instances.conf, without TLS) in front of A and
// B, round-robin and not sticky: both tabs open the proxy's address, their page loads, API
// calls and sockets land on either instance, and messages still go live both ways.
test("two tabs behind nginx, on instances round-robin, see each other's messages live", async ({
  context,
}) => {
  const before = [await answered(context.request, instanceA), await answered(context.request, instanceB)];
  await signUpViaApi(context, "Behind Nginx", uniqueEmail("nginx"), "Proxy Co", proxied);
  const leadId = await createLeadViaApi(context, { name: "Grace Lead", email: "grace@example.com" }, proxied);

  const first = await context.newPage();
  const second = await context.newPage();
  await openLive(first, `${proxied}/leads/${leadId}`);
  await openLive(second, `${proxied}/leads/${leadId}`);

  await sendAndSee(first, second, "Sent from the first tab");
  await sendAndSee(second, first, "Sent from the second tab");

  // Both instances answered part of it: no stickiness was needed.
  const after = [await answered(context.request, instanceA), await answered(context.request, instanceB)];
  expect(after[0]).toBeGreaterThan(before[0]);
  expect(after[1]).toBeGreaterThan(before[1]);
});
