/**
 * Fuzz: Stripe webhooks that verify (signed with the endpoint's secret) but carry anything as
 * their event, at any time offset. A signature proves who sent the bytes, not that they make an
 * event: billing must answer every one 200 (recorded) or 400 problem+json (nothing recorded),
 * never 5xx, and accept exactly the well-shaped events within the tolerance, past or future.
 */

import { testRun } from "@oryn/testing/context";
import fc from "fast-check";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { billingInProcess, webhookSecret } from "../../services/billing/test/fixtures.ts";
import { hostileString } from "./fuzz-hostile.ts";
import { fuzzRuns, fuzzSeed, problemDefect } from "./fuzz-stack.ts";
import { recordFault } from "./report.ts";

const signer = new Stripe("sk_test_signer_only");
const tolerance = 300;
let billing: Awaited<ReturnType<typeof billingInProcess>>;
beforeAll(async () => {
  billing = await billingInProcess(testRun(), undefined, {
    STRIPE_WEBHOOK_TOLERANCE_SECONDS: String(tolerance),
  });
});
afterAll(() => billing?.close());

const wellShaped = fc.record({
  id: fc.string({ minLength: 1, maxLength: 40 }).map((s) => `evt_fuzz_${s}`),
  object: fc.constant("event"),
  type: fc.constantFrom("customer.updated", "invoice.paid", "customer.subscription.deleted"),
  created: fc.integer({ min: 0, max: 2 ** 31 }),
  data: fc.record({ object: fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 }) }),
});
// Well-shaped events with one field dropped or replaced, and JSON of any shape at all.
const field = fc.constantFrom("id", "object", "type", "created", "data");
const misshaped = fc.oneof(
  fc.tuple(wellShaped, field).map(([event, name]) => {
    const { [name]: _, ...rest } = event;
    return rest;
  }),
  fc
    .tuple(wellShaped, field, fc.oneof(fc.jsonValue(), hostileString))
    .map(([event, name, value]) => ({ ...event, [name]: value })),
  fc.jsonValue(),
);
// Offsets from now, in seconds: inside the tolerance, just outside, and far out both ways.
const offset = fc.oneof(
  fc.integer({ min: -tolerance + 5, max: tolerance - 5 }),
  fc.integer({ min: tolerance + 5, max: 10 * 365 * 86_400 }),
  fc.integer({ min: -10 * 365 * 86_400, max: -tolerance - 5 }),
);

describe("fuzz: signed Stripe webhooks", () => {
  it("are recorded when they are events within the tolerance, refused 400 otherwise, never 5xx", async () => {
    const counts = { cases: 0, accepted: 0, refused: 0, serverErrors: 0 };
    await fc.assert(
      fc.asyncProperty(fc.oneof(wellShaped, misshaped), offset, async (event, seconds) => {
        counts.cases++;
        const payload = JSON.stringify(event);
        const timestamp = Math.floor(Date.now() / 1000) + seconds;
        const signature = await signer.webhooks.generateTestHeaderStringAsync({
          payload,
          secret: webhookSecret,
          timestamp,
        });
        const answer = await billing.app.request("/webhooks/stripe", {
          method: "POST",
          headers: { "content-type": "application/json", "stripe-signature": signature },
          body: payload,
        });
        const text = await answer.text();
        if (answer.status >= 500) counts.serverErrors++;
        expect(problemDefect(answer.status, answer.headers.get("content-type"), text)).toBe(
          undefined,
        );
        const shaped = typeof event === "object" && event !== null && isEvent(event);
        const timely = Math.abs(seconds) <= tolerance - 5;
        const expected = shaped && timely ? 200 : 400;
        expect(answer.status, `${payload.slice(0, 200)} at ${seconds} s`).toBe(expected);
        if (answer.status === 200) counts.accepted++;
        else counts.refused++;
      }),
      { seed: fuzzSeed, numRuns: fuzzRuns(300) },
    );
    // Both sides of the oracle were exercised.
    expect(counts.accepted).toBeGreaterThan(0);
    expect(counts.refused).toBeGreaterThan(0);
    recordFault({
      fault: "fuzz: signed Stripe webhooks of any shape and time",
      provoked: counts.cases,
      requests: counts.cases,
      clientErrors: counts.serverErrors,
      dataLost: 0,
      crossTenantLeaks: 0,
      detail: { ...counts, seed: fuzzSeed },
    });
  });
});

/** What billing's StripeEvent schema takes, written out again as the fuzz's oracle. */
function isEvent(event: object): boolean {
  const e = event as Record<string, unknown>;
  const text = (value: unknown) =>
    typeof value === "string" &&
    value.length >= 1 &&
    value.length <= 255 &&
    !value.includes("\u0000") &&
    value.isWellFormed();
  const data = e.data as Record<string, unknown> | null | undefined;
  return (
    !Array.isArray(event) &&
    text(e.id) &&
    text(e.type) &&
    (e.object === undefined || e.object === "event") &&
    (e.created === undefined || Number.isSafeInteger(e.created)) &&
    typeof data === "object" &&
    data !== null &&
    !Array.isArray(data) &&
    typeof data.object === "object" &&
    data.object !== null &&
    !Array.isArray(data.object) &&
    !JSON.stringify(event).includes("\\u0000")
  );
}
