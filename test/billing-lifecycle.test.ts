import { connect, limitsOf } from "@oryn/shared";
import { serviceEnv } from "@oryn/testing/context";
import { type FakeStripe, startFakeStripe } from "@oryn/testing/fake-stripe";
import { jsonCaller } from "@oryn/testing/http";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const webhookSecret = "whsec_billing_lifecycle_0123456789";
type Answer = Awaited<ReturnType<ReturnType<typeof jsonCaller>>>;

/**
 * One tenant through a paid plan's life, seen only through the public API of the four real
 * processes: free → pro → payment failed → restricted (after the grace) → paid → pro → canceled
 * → free. Billing runs as a login role holding only oryn_billing's grants.
 */
describe("billing end to end: a tenant's plan and access follow Stripe", () => {
  let run: Awaited<ReturnType<typeof isolatedRun>>;
  let fake: FakeStripe;
  let oryn: Oryn;
  let admin: ReturnType<typeof connect>;
  let billingRole: string;

  beforeAll(async () => {
    run = await isolatedRun("billing_e2e");
    fake = await startFakeStripe();
    admin = connect(run.postgresUrl, { max: 1 });
    billingRole = `oryn_b5_${run.runId}_billing`;
    await admin`create role ${admin(billingRole)} login in role oryn_billing`;
    const asBilling = new URL(run.controlPlaneUrl);
    asBilling.username = billingRole;
    oryn = await startOryn(serviceEnv(run), {
      billing: {
        ...fake.env(),
        DATABASE_URL: asBilling.toString(),
        STRIPE_WEBHOOK_SECRET: webhookSecret,
        STRIPE_MAX_NETWORK_RETRIES: "0",
        BILLING_PAYMENT_GRACE_SECONDS: "2",
        BILLING_SWEEP_SECONDS: "1",
      },
    });
  }, 60_000);

  afterAll(async () => {
    await oryn?.stop();
    await fake?.close();
    await run?.drop();
    if (billingRole) await admin`drop role if exists ${admin(billingRole)}`;
    await admin?.end();
  });

  const call = jsonCaller((path, init) => fetch(`${oryn.gatewayUrl}${path}`, init));

  async function until(what: string, read: () => Promise<Answer>, done: (a: Answer) => boolean) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const answer = await read();
      if (done(answer)) return answer;
      if (Date.now() > deadline) {
        throw new Error(
          `${what}: last answer ${answer.status} ${JSON.stringify(answer.json)}\n${oryn.services.billing.output()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function stripeSends(type: string, object: Record<string, unknown>) {
    const payload = fake.event(type, object);
    const answer = await call("POST", "/webhooks/stripe", {
      raw: payload,
      headers: { "stripe-signature": await fake.sign(payload, webhookSecret) },
    });
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
  }

  it("walks free → pro → restricted → pro → free, with limits and write access at each step", async () => {
    const slug = `bill-${run.runId}`;
    const signup = await call("POST", "/v1/signup", {
      body: {
        company: { name: "Billing Co", slug },
        owner: { email: `owner@${slug}.test`, password: "a long enough password", name: "Owner" },
      },
    });
    expect(signup.status).toBe(202);
    const token = signup.json.tokens.accessToken as string;
    const tenantId = signup.json.tenant.id as string;
    await until(
      "tenant active",
      () => call("GET", "/v1/tenant", { token }),
      (a) => a.json.status === "active",
    );
    const subscription = () => call("GET", "/v1/billing/subscription", { token });
    const createProject = (name: string) => call("POST", "/v1/projects", { token, body: { name } });

    // After signup, billing's job makes the tenant's Stripe customer on its own.
    const customer = await until(
      "customer made",
      async () => ({
        status: 200,
        headers: new Headers(),
        json: [...fake.customers.values()].find((c) => c.metadata.tenantId === tenantId),
      }),
      (a) => a.json !== undefined,
    ).then((a) => a.json as { id: string });

    // free
    expect((await subscription()).json).toMatchObject({
      plan: "free",
      status: "none",
      limits: limitsOf("free"),
    });
    const first = await createProject("On the free plan");
    expect(first.status).toBe(201);
    // Polled below as the write that tells whether writes are allowed: a rename adds no row, so
    // polling cannot run into the plan's projects cap.
    let renames = 0;
    const rename = () =>
      call("PATCH", `/v1/projects/${first.json.id}`, {
        token,
        body: { name: `Renamed ${++renames}` },
      });

    // → pro: Checkout, then Stripe says the session completed.
    const checkout = await call("POST", "/v1/billing/checkout", { token, body: { plan: "pro" } });
    expect(checkout.status, JSON.stringify(checkout.json)).toBe(200);
    expect(fake.checkoutSessions.at(-1)?.params.customer).toBe(customer.id);
    const paid = fake.setSubscription(customer.id, { plan: "pro", status: "active" });
    await stripeSends("checkout.session.completed", {
      object: "checkout.session",
      customer: customer.id,
      subscription: paid.id,
    });
    const pro = await until("plan pro", subscription, (a) => a.json.plan === "pro");
    expect(pro.json).toMatchObject({
      status: "active",
      limits: limitsOf("pro"),
      restricted: false,
    });
    expect(pro.json.currentPeriodEnd).toMatch(/^\d{4}-\d\d-\d\dT/);

    // → payment failed: past_due at once, restricted once the (2 s) grace has run out, with no
    // further event: reads still work, writes answer 403 tenant_restricted, billing still works.
    fake.setSubscription(customer.id, { status: "past_due" });
    await stripeSends("invoice.payment_failed", {
      object: "invoice",
      customer: customer.id,
      subscription: paid.id,
    });
    const overdue = await until("past_due", subscription, (a) => a.json.status === "past_due");
    expect(overdue.json.paymentGraceEndsAt).not.toBeNull();
    const refused = await until("writes refused", rename, (a) => a.status !== 200);
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe("tenant_restricted");
    expect((await call("GET", "/v1/projects", { token })).status).toBe(200);
    expect((await subscription()).json).toMatchObject({ plan: "pro", restricted: true });
    expect((await call("GET", "/v1/tenant", { token })).json.status).toBe("restricted");
    expect((await call("POST", "/v1/billing/portal", { token })).status).toBe(200);

    // → paid: active again, writes accepted.
    fake.setSubscription(customer.id, { status: "active" });
    await stripeSends("invoice.paid", {
      object: "invoice",
      customer: customer.id,
      subscription: paid.id,
    });
    await until(
      "writes accepted",
      () => createProject("Paid again"),
      (a) => a.status === 201,
    );
    expect((await subscription()).json).toMatchObject({
      plan: "pro",
      status: "active",
      restricted: false,
      paymentGraceEndsAt: null,
    });

    // → canceled: back to free.
    fake.setSubscription(customer.id, { status: "canceled" });
    await stripeSends(
      "customer.subscription.deleted",
      fake.subscriptionsOf(customer.id).at(-1) ?? {},
    );
    const free = await until("plan free", subscription, (a) => a.json.plan === "free");
    expect(free.json).toMatchObject({
      status: "canceled",
      limits: limitsOf("free"),
      restricted: false,
    });
    expect((await createProject("Free again")).status).toBe(201);

    // Each change is in the control-plane audit log, in order, attributed to its Stripe event.
    const controlPlane = connect(run.controlPlaneUrl, { max: 1 });
    try {
      const audit = await controlPlane<
        { action: string; data: { from: string; to: string }; requestId: string }[]
      >`
        select action, data, request_id from audit_events
        where tenant_id = ${tenantId} and action in ('plan_changed', 'status_changed') order by id`;
      expect(audit.map((row) => `${row.action}:${row.data.from}->${row.data.to}`)).toEqual([
        "plan_changed:free->pro",
        "status_changed:active->restricted",
        "status_changed:restricted->active",
        "plan_changed:pro->free",
      ]);
      expect(audit[0]?.requestId).toMatch(/^evt_/);
      expect(audit[1]?.requestId).toMatch(/^job:sync-/);
    } finally {
      await controlPlane.end();
    }
  }, 60_000);
});
