import { describe, expect, test as it } from "@oryn/testing";
import { createStripeClient } from "../src/stripe-client.ts";

describe("the Stripe client", () => {
  it("talks to STRIPE_API_BASE when it is set, with the secret key", async ({ fakeStripe }) => {
    const { STRIPE_API_BASE: apiBase, STRIPE_SECRET_KEY: secretKey } = fakeStripe.env();
    fakeStripe.customers.set("cus_123", { id: "cus_123", object: "customer", metadata: {} });
    const stripe = createStripeClient({ secretKey: secretKey ?? "", apiBase });
    const customer = await stripe.customers.retrieve("cus_123");
    expect(customer.id).toBe("cus_123");
    // The fake answers 401 to any other key, so a 200 here is the key arriving as a bearer.
    expect(fakeStripe.calls).toEqual([
      { method: "GET", path: "/v1/customers/cus_123", status: 200 },
    ]);

    const wrongKey = createStripeClient({ secretKey: "sk_test_wrong", apiBase });
    await expect(wrongKey.customers.retrieve("cus_123")).rejects.toThrow(/Invalid API Key/);
  });
});
