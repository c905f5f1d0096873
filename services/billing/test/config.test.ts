import { once } from "node:events";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { spawnService } from "@oryn/testing/processes";
import { describe, expect, it } from "vitest";

describe("billing's settings", () => {
  it("refuses to start in production without the Stripe key, prices and return pages, naming each", async () => {
    const env = {
      ...serviceEnv(testRun()),
      NODE_ENV: "production",
      STRIPE_WEBHOOK_SECRET: "whsec_production_test",
      STRIPE_PRICE_PRO: "price_pro",
    };
    const { child, output } = spawnService("billing", env);
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const [code] = (await once(child, "exit")) as [number | null];
    clearTimeout(timer);
    expect(code).toBe(1);
    for (const name of [
      "STRIPE_SECRET_KEY",
      "STRIPE_PRICE_BUSINESS",
      "BILLING_CHECKOUT_SUCCESS_URL",
      "BILLING_PORTAL_RETURN_URL",
    ]) {
      expect(output()).toMatch(new RegExp(`${name}: required in production`));
    }
    expect(output()).not.toMatch(/STRIPE_PRICE_PRO: required/);
    expect(output()).not.toMatch(/^\s+at /m);
  });

  it("refuses a price id that is not one", async () => {
    const { child, output } = spawnService("billing", {
      ...serviceEnv(testRun()),
      STRIPE_PRICE_PRO: "pro-monthly",
    });
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(1);
    expect(output()).toMatch(/STRIPE_PRICE_PRO: must be a Stripe price id/);
  });
});
