import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStripeClient } from "../src/stripe-client.ts";

/** A stand-in for Stripe's API that records what reached it. */
let fake: Server;
let base: string;
const seen: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders }> = [];
beforeAll(async () => {
  fake = createServer((request, response) => {
    seen.push({ method: request.method, url: request.url, headers: request.headers });
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ id: "cus_123", object: "customer" }));
  });
  await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => fake.close(() => resolve())));

describe("the Stripe client", () => {
  it("talks to STRIPE_API_BASE when it is set, with the secret key", async () => {
    const stripe = createStripeClient({ secretKey: "sk_test_local", apiBase: base });
    const customer = await stripe.customers.retrieve("cus_123");
    expect(customer.id).toBe("cus_123");
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: "GET", url: "/v1/customers/cus_123" });
    expect(seen[0]?.headers.authorization).toBe("Bearer sk_test_local");
  });
});
