import { planPrices } from "@oryn/shared";
import type Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { deriveState } from "../src/sync/derive-state.ts";

const prices = planPrices({ STRIPE_PRICE_PRO: "price_pro", STRIPE_PRICE_BUSINESS: "price_biz" });

function subscription(id: string, status: string, price: string, created: number) {
  return {
    id,
    status,
    created,
    cancel_at_period_end: false,
    items: { data: [{ price: { id: price }, current_period_end: 1_900_000_000 }] },
  } as unknown as Stripe.Subscription;
}

describe("deriving plan and payment state from a customer's subscriptions", () => {
  it.each([
    ["no subscription", [], { plan: "free", subscriptionStatus: null, paymentOverdue: false }],
    [
      "active pro",
      [subscription("a", "active", "price_pro", 1)],
      { plan: "pro", paymentOverdue: false },
    ],
    ["trialing business", [subscription("a", "trialing", "price_biz", 1)], { plan: "business" }],
    [
      "past_due keeps the plan, overdue",
      [subscription("a", "past_due", "price_pro", 1)],
      { plan: "pro", paymentOverdue: true },
    ],
    [
      "unpaid keeps the plan, overdue",
      [subscription("a", "unpaid", "price_biz", 1)],
      { plan: "business", paymentOverdue: true },
    ],
    [
      "canceled is free",
      [subscription("a", "canceled", "price_pro", 1)],
      { plan: "free", subscriptionStatus: "canceled" },
    ],
    [
      "incomplete (first payment pending) is free",
      [subscription("a", "incomplete", "price_pro", 1)],
      { plan: "free" },
    ],
    [
      "paused is free",
      [subscription("a", "paused", "price_biz", 1)],
      { plan: "free", paymentOverdue: false },
    ],
    [
      "a status an object would inherit ranks as unknown, below an active one",
      [
        subscription("odd", "constructor", "price_biz", 2),
        subscription("odd2", "toString", "price_biz", 3),
        subscription("old", "active", "price_pro", 1),
      ],
      { plan: "pro", subscriptionId: "old" },
    ],
    [
      "a new active one beats an old canceled one",
      [
        subscription("old", "canceled", "price_biz", 1),
        subscription("new", "active", "price_pro", 2),
      ],
      { plan: "pro", subscriptionId: "new" },
    ],
    [
      "an active one beats a newer incomplete one",
      [
        subscription("a", "active", "price_pro", 1),
        subscription("b", "incomplete", "price_biz", 2),
      ],
      { plan: "pro", subscriptionId: "a" },
    ],
    [
      "a price that is none of our plans is ignored",
      [subscription("a", "active", "price_other", 1)],
      { plan: "free", subscriptionId: null },
    ],
  ] as const)("%s", (_name, subscriptions, expected) => {
    expect(deriveState(subscriptions as unknown as Stripe.Subscription[], prices)).toMatchObject(
      expected,
    );
  });

  it("takes the billing period from the subscription item", () => {
    const state = deriveState([subscription("a", "active", "price_pro", 1)], prices);
    expect(state.currentPeriodEnd?.toISOString()).toBe(new Date(1_900_000_000_000).toISOString());
  });
});
