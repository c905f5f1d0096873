import { describe, expect, it } from "vitest";
import { limitsOf, paidPlanNames, planLimits, planNames, planPrices } from "../src/plans.ts";

describe("plans", () => {
  it("reads a plan name from the database as its limits, an unknown one as the free plan's", () => {
    for (const plan of planNames) expect(limitsOf(plan)).toBe(planLimits[plan]);
    for (const unknown of ["", "enterprise", "FREE", "Pro", "pro ", "__proto__", "toString"]) {
      expect(limitsOf(unknown), unknown).toBe(planLimits.free);
    }
  });

  it("maps each paid plan to its Stripe price and back, and nothing else to a plan", () => {
    const prices = planPrices({
      STRIPE_PRICE_PRO: "price_pro",
      STRIPE_PRICE_BUSINESS: "price_biz",
    });
    for (const plan of paidPlanNames) expect(prices.planOf(prices.priceOf(plan) ?? "")).toBe(plan);
    expect(prices.planOf("price_other")).toBeUndefined();
    expect(prices.planOf("")).toBeUndefined();

    // A plan without a configured price cannot be bought, and no price stands for it.
    const proOnly = planPrices({ STRIPE_PRICE_PRO: "price_pro" });
    expect(proOnly.priceOf("business")).toBeUndefined();
    expect(proOnly.planOf("price_pro")).toBe("pro");
    expect(proOnly.planOf("undefined")).toBeUndefined();
  });

  it("lets every higher plan hold at least what the one below holds", () => {
    const keys = Object.keys(planLimits.free) as Array<keyof typeof planLimits.free>;
    for (let index = 1; index < planNames.length; index++) {
      const lower = planLimits[planNames[index - 1] ?? "free"];
      const higher = planLimits[planNames[index] ?? "free"];
      for (const key of keys) expect(higher[key], key).toBeGreaterThanOrEqual(lower[key]);
    }
  });
});
