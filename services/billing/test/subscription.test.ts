import { limitsOf } from "@oryn/shared";
import { ensureStripeCustomer } from "../src/customers/ensure-customer.ts";
import { syncTenantBilling } from "../src/sync/sync-tenant.ts";
import { billingInProcess, describe, expect, test } from "./fixtures.ts";

// The billing fixtures (billing in-process, its control plane, a fake Stripe), and the file's
// one helper, which reads the fake.
const it = test.extend("helpers", { scope: "file" }, ({ stripe }) => ({
  customersOf: (tenantId: string) =>
    [...stripe.customers.values()].filter((customer) => customer.metadata.tenantId === tenantId),
}));

describe("GET /v1/billing/subscription", () => {
  it("shows a new tenant on the free plan with its limits, to any member", async ({ billing }) => {
    const tenantId = await billing.activeTenant();
    const answer = await billing.call("GET", "/v1/billing/subscription", {
      token: await billing.tokenFor(tenantId, "member"),
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      plan: "free",
      status: "none",
      currentPeriodEnd: null,
      cancelAtPeriodEnd: false,
      limits: limitsOf("free"),
      restricted: false,
      paymentGraceEndsAt: null,
    });
  });

  it("answers 401 without a token or with a forged one, and 404 for a deleted tenant", async ({
    billing,
  }) => {
    const none = await billing.call("GET", "/v1/billing/subscription");
    expect(none.status).toBe(401);
    expect(none.headers.get("content-type")).toBe("application/problem+json");
    expect(none.json.code).toBe("unauthorized");
    const forged = await billing.call("GET", "/v1/billing/subscription", { token: "a.b.c" });
    expect(forged.status).toBe(401);

    const gone = await billing.activeTenant("deleted");
    const answer = await billing.call("GET", "/v1/billing/subscription", {
      token: await billing.tokenFor(gone),
    });
    expect(answer.status).toBe(404);
    expect(answer.json.code).toBe("not_found");
  });
});

describe("POST /v1/billing/checkout", () => {
  it("holds no control-plane connection while Stripe answers a checkout without a key", async ({
    stripe: fake,
    billingRun: run,
  }) => {
    // One connection in all: a transaction held across the Stripe call would leave the
    // checkout's own queries, and every other request, waiting behind it for good.
    const narrow = await billingInProcess(run, fake, { DATABASE_POOL_MAX: "1" });
    try {
      const tenantId = await narrow.activeTenant();
      const token = await narrow.tokenFor(tenantId);
      fake.delayNext("/v1/checkout/sessions", 1500);
      const finished: string[] = [];
      const checkout = narrow
        .call("POST", "/v1/billing/checkout", { token, body: { plan: "pro" } })
        .finally(() => finished.push("checkout"));
      // Let the checkout reach Stripe, then read while Stripe holds it.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const read = await narrow.call("GET", "/v1/billing/subscription", { token });
      finished.push("read");
      expect(read.status).toBe(200);
      expect((await checkout).status).toBe(200);
      expect(finished).toEqual(["read", "checkout"]);
    } finally {
      await narrow.close();
    }
  });

  it("hands out one session to checkouts of the same plan at once, so it cannot be paid twice", async ({
    billing,
    stripe: fake,
  }) => {
    const tenantId = await billing.activeTenant();
    const token = await billing.tokenFor(tenantId, "admin");
    const before = fake.checkoutSessions.length;
    const answers = await Promise.all(
      [0, 1, 2].map(() =>
        billing.call("POST", "/v1/billing/checkout", { token, body: { plan: "pro" } }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(new Set(answers.map((answer) => answer.json.url)).size).toBe(1);
    expect(fake.checkoutSessions.length - before).toBe(1);
  });

  it("replays the first answer to a retry with the same Idempotency-Key; another body is 422", async ({
    billing,
    stripe: fake,
  }) => {
    const tenantId = await billing.activeTenant();
    const token = await billing.tokenFor(tenantId, "admin");
    const headers = { "idempotency-key": crypto.randomUUID() };
    const before = fake.checkoutSessions.length;
    const first = await billing.call("POST", "/v1/billing/checkout", {
      token,
      headers,
      body: { plan: "pro" },
    });
    const again = await billing.call("POST", "/v1/billing/checkout", {
      token,
      headers,
      body: { plan: "pro" },
    });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.json).toEqual(first.json);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(fake.checkoutSessions.length - before).toBe(1);
    const other = await billing.call("POST", "/v1/billing/checkout", {
      token,
      headers,
      body: { plan: "business" },
    });
    expect([other.status, other.json.code]).toEqual([422, "idempotency_key_reused"]);
    const portalKey = { "idempotency-key": crypto.randomUUID() };
    const portals = fake.portalSessions.length;
    const portal = await billing.call("POST", "/v1/billing/portal", { token, headers: portalKey });
    const portalAgain = await billing.call("POST", "/v1/billing/portal", {
      token,
      headers: portalKey,
    });
    expect(portalAgain.json).toEqual(portal.json);
    expect(fake.portalSessions.length - portals).toBe(1);
  });

  it("opens a subscription-mode Checkout for the plan's price, for the tenant's own customer", async ({
    billing,
    stripe: fake,
    helpers: { customersOf },
  }) => {
    const tenantId = await billing.activeTenant();
    const token = await billing.tokenFor(tenantId, "admin");
    const answer = await billing.call("POST", "/v1/billing/checkout", {
      token,
      body: { plan: "pro" },
    });
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(answer.json.url).toMatch(/^https:\/\/checkout\.stripe\.test\//);
    const [customer] = customersOf(tenantId);
    expect(customersOf(tenantId)).toHaveLength(1);
    const session = fake.checkoutSessions.at(-1);
    expect(session?.params).toMatchObject({
      mode: "subscription",
      customer: customer?.id,
      "line_items[0][price]": fake.prices.pro,
      "line_items[0][quantity]": "1",
      client_reference_id: tenantId,
      "metadata[tenantId]": tenantId,
      "subscription_data[metadata][tenantId]": tenantId,
    });
    expect(session?.params.success_url).toContain("{CHECKOUT_SESSION_ID}");

    // A second checkout reuses the customer; the stored one is the one Stripe made.
    const again = await billing.call("POST", "/v1/billing/checkout", {
      token,
      body: { plan: "business" },
    });
    expect(again.status).toBe(200);
    expect(fake.checkoutSessions.at(-1)?.params["line_items[0][price]"]).toBe(fake.prices.business);
    expect(customersOf(tenantId)).toHaveLength(1);
    const [row] =
      await billing.admin`select stripe_customer_id from billing_accounts where tenant_id = ${tenantId}`;
    expect(row?.stripeCustomerId).toBe(customer?.id);
  });

  it("refuses a member (403), no token (401), an unknown or free plan (422), a non-JSON body (400)", async ({
    billing,
    helpers: { customersOf },
  }) => {
    const tenantId = await billing.activeTenant();
    const member = await billing.call("POST", "/v1/billing/checkout", {
      token: await billing.tokenFor(tenantId, "member"),
      body: { plan: "pro" },
    });
    expect(member.status).toBe(403);
    expect(member.json.code).toBe("forbidden");
    const anonymous = await billing.call("POST", "/v1/billing/checkout", { body: { plan: "pro" } });
    expect(anonymous.status).toBe(401);

    const admin = await billing.tokenFor(tenantId, "admin");
    for (const body of [{ plan: "enterprise" }, { plan: "free" }, {}, { plan: 3 }]) {
      const answer = await billing.call("POST", "/v1/billing/checkout", { token: admin, body });
      expect(answer.status, JSON.stringify(body)).toBe(422);
      expect(answer.json.code).toBe("validation_failed");
      expect(answer.json.errors[0].path).toBe("plan");
    }
    const broken = await billing.call("POST", "/v1/billing/checkout", {
      token: admin,
      raw: "{plan",
    });
    expect(broken.status).toBe(400);
    expect(broken.json.code).toBe("invalid_json");
    // None of these reached Stripe.
    expect(customersOf(tenantId)).toHaveLength(0);
  });

  it("answers 409 while the tenant already has a running subscription", async ({
    billing,
    stripe: fake,
  }) => {
    const tenantId = await billing.activeTenant();
    const customerId = await ensureStripeCustomer({
      ...billing.deps,
      stripe: billing.stripe,
      tenantId,
    });
    fake.setSubscription(customerId as string, { plan: "pro", status: "active" });
    await syncTenantBilling(billing.jobs.syncDeps, tenantId, { cause: "test" });
    const answer = await billing.call("POST", "/v1/billing/checkout", {
      token: await billing.tokenFor(tenantId, "owner"),
      body: { plan: "business" },
    });
    expect(answer.status).toBe(409);
    expect(answer.json.code).toBe("conflict");
    expect(answer.json.detail).toMatch(/portal/);
  });

  it("answers 503 problem+json while Stripe is down, and works again after", async ({
    billing,
    stripe: fake,
  }) => {
    const tenantId = await billing.activeTenant();
    const token = await billing.tokenFor(tenantId, "admin");
    fake.failWith(500);
    try {
      const down = await billing.call("POST", "/v1/billing/checkout", {
        token,
        body: { plan: "pro" },
      });
      expect(down.status).toBe(503);
      expect(down.headers.get("content-type")).toBe("application/problem+json");
      expect(down.json.code).toBe("upstream_unavailable");
      expect(down.headers.get("retry-after")).toBe("5");
    } finally {
      fake.failWith(undefined);
    }
    const up = await billing.call("POST", "/v1/billing/checkout", { token, body: { plan: "pro" } });
    expect(up.status).toBe(200);
  });
});

describe("POST /v1/billing/portal", () => {
  it("opens a portal session for the tenant's customer, also while the tenant is restricted", async ({
    billing,
    stripe: fake,
    helpers: { customersOf },
  }) => {
    const tenantId = await billing.activeTenant("restricted");
    const answer = await billing.call("POST", "/v1/billing/portal", {
      token: await billing.tokenFor(tenantId, "admin"),
    });
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(answer.json.url).toMatch(/^https:\/\/billing\.stripe\.test\//);
    expect(fake.portalSessions.at(-1)?.params).toMatchObject({
      customer: customersOf(tenantId)[0]?.id,
      return_url: "http://localhost:8080/billing",
    });
    const view = await billing.call("GET", "/v1/billing/subscription", {
      token: await billing.tokenFor(tenantId, "member"),
    });
    expect(view.json.restricted).toBe(true);
  });

  it("refuses a member with 403 and an anonymous caller with 401", async ({ billing }) => {
    const tenantId = await billing.activeTenant();
    const member = await billing.call("POST", "/v1/billing/portal", {
      token: await billing.tokenFor(tenantId, "member"),
    });
    expect(member.status).toBe(403);
    expect((await billing.call("POST", "/v1/billing/portal")).status).toBe(401);
  });
});

describe("the Stripe customer", () => {
  it("is made once per tenant when the job and a request race, by the idempotency key", async ({
    billing,
    stripe: fake,
    helpers: { customersOf },
  }) => {
    const tenantId = await billing.activeTenant();
    const stripe = billing.stripe;
    const ids = await Promise.all(
      Array.from({ length: 4 }, () => ensureStripeCustomer({ ...billing.deps, stripe, tenantId })),
    );
    expect(new Set(ids).size).toBe(1);
    expect(customersOf(tenantId)).toHaveLength(1);
    const keys = fake.calls.filter((call) => call.idempotencyKey === `oryn-customer-${tenantId}`);
    expect(keys.length).toBeGreaterThanOrEqual(1);
  });

  it("cannot be made without STRIPE_SECRET_KEY: checkout answers 503 naming it", async ({
    billingRun: run,
  }) => {
    const unconfigured = await billingInProcess(run, undefined);
    try {
      const tenantId = await unconfigured.activeTenant();
      const answer = await unconfigured.call("POST", "/v1/billing/checkout", {
        token: await unconfigured.tokenFor(tenantId, "admin"),
        body: { plan: "pro" },
      });
      expect(answer.status).toBe(503);
      expect(answer.json.detail).toMatch(/STRIPE_SECRET_KEY/);
    } finally {
      await unconfigured.close();
    }
  });
});

describe("billing's OpenAPI document", () => {
  it("declares who may call each operation, as the access helpers enforce it", async ({
    billing,
  }) => {
    const answer = await billing.call("GET", "/openapi.json");
    const audiences = Object.fromEntries(
      Object.entries(
        answer.json.paths as Record<string, Record<string, Record<string, unknown>>>,
      ).flatMap(([path, operations]) =>
        Object.entries(operations).map(([method, operation]) => [
          `${method.toUpperCase()} ${path}`,
          operation["x-oryn-min-role"],
        ]),
      ),
    );
    expect(audiences).toEqual({
      "GET /v1/billing/subscription": "member",
      "POST /v1/billing/checkout": "admin",
      "POST /v1/billing/portal": "admin",
      "POST /webhooks/stripe": "stripe",
    });
  });
});
