import { describe, eventually, expect, test, webhookSecret } from "./fixtures.ts";

/**
 * A few hundred webhooks for several tenants, as Stripe (and an attacker) might send them:
 * duplicates, any order, payloads that describe states long gone, stale timestamps, forged
 * signatures. Every tenant must end in the state the fake Stripe holds, and every accepted event
 * must be processed exactly once.
 */
const it = test.override("billingOverrides", { scope: "file" }, () => ({
  // No grace: an overdue payment restricts at once, so the final state needs no waiting.
  BILLING_PAYMENT_GRACE_SECONDS: "0",
}));
// Billing, its control plane and its worker start under the hook's timeout, not the test's.
it.beforeAll(({ billing }) => {
  billing.startWorker();
});

type State = { plan: "pro" | "business"; status: string; cancelAtPeriodEnd?: boolean };
type Final = { plan: string; status: "active" | "restricted"; subscriptionStatus: string };

// Each tenant's last state at Stripe and what billing must conclude from it.
const scenarios: Array<{ last: State; extra?: State; expected: Final }> = [
  {
    last: { plan: "pro", status: "active" },
    expected: { plan: "pro", status: "active", subscriptionStatus: "active" },
  },
  {
    last: { plan: "business", status: "active", cancelAtPeriodEnd: true },
    expected: { plan: "business", status: "active", subscriptionStatus: "active" },
  },
  {
    last: { plan: "pro", status: "canceled" },
    expected: { plan: "free", status: "active", subscriptionStatus: "canceled" },
  },
  {
    last: { plan: "pro", status: "past_due" },
    expected: { plan: "pro", status: "restricted", subscriptionStatus: "past_due" },
  },
  {
    last: { plan: "business", status: "unpaid" },
    expected: { plan: "business", status: "restricted", subscriptionStatus: "unpaid" },
  },
  {
    // Canceled, then subscribed anew: the new subscription decides.
    last: { plan: "pro", status: "canceled" },
    extra: { plan: "business", status: "active" },
    expected: { plan: "business", status: "active", subscriptionStatus: "active" },
  },
  {
    last: { plan: "pro", status: "trialing" },
    expected: { plan: "pro", status: "active", subscriptionStatus: "trialing" },
  },
];

const history: State[] = [
  { plan: "pro", status: "incomplete" },
  { plan: "pro", status: "active" },
  { plan: "pro", status: "past_due" },
  { plan: "business", status: "active" },
  { plan: "business", status: "unpaid" },
  { plan: "pro", status: "active", cancelAtPeriodEnd: true },
  { plan: "pro", status: "active", cancelAtPeriodEnd: false },
];

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

describe("a webhook storm", () => {
  it("ends every tenant in Stripe's state, each event processed once, stale and forged refused", async ({
    billing,
    stripe: fake,
  }) => {
    billing.startWorker();
    const tenants = await Promise.all(scenarios.map(() => billing.activeTenant()));
    // Customers come from the sweep, as they do after a signup.
    await billing.jobs.sweep({ olderThanSeconds: 0 });
    const customers = await eventually(
      () => billing.admin<{ tenantId: string; stripeCustomerId: string }[]>`
        select tenant_id, stripe_customer_id from billing_accounts where tenant_id in ${billing.admin(tenants)}`,
      (rows) => rows.length === tenants.length,
    );
    const customerOf = new Map(customers.map((row) => [row.tenantId, row.stripeCustomerId]));

    // Walk each tenant through its history at Stripe, keeping the events each step would send.
    const valid: string[] = [];
    for (const [index, tenantId] of tenants.entries()) {
      const customer = customerOf.get(tenantId) as string;
      const scenario = scenarios[index] as (typeof scenarios)[number];
      for (const state of [...history, ...shuffle([...history]), scenario.last]) {
        const subscription = fake.setSubscription(customer, state);
        const invoice = {
          id: `in_${valid.length}`,
          object: "invoice",
          customer,
          subscription: subscription.id,
        };
        valid.push(
          fake.event("customer.subscription.updated", subscription),
          fake.event(
            state.status === "active" ? "invoice.paid" : "invoice.payment_failed",
            invoice,
          ),
          fake.event("checkout.session.completed", {
            id: `cs_${valid.length}`,
            object: "checkout.session",
            customer,
          }),
        );
        if (state.status === "canceled")
          valid.push(fake.event("customer.subscription.deleted", subscription));
      }
      if (scenario.extra) {
        valid.push(
          fake.event(
            "customer.subscription.created",
            fake.addSubscription(customer, scenario.extra),
          ),
        );
      }
    }
    const now = Math.floor(Date.now() / 1000);
    const customerIds = [...customerOf.values()];
    const someone = (i: number) => customerIds[i % customerIds.length] as string;
    // Stale: signed correctly but 10 minutes ago (tolerance is 5); forged: another secret.
    const stale = Array.from({ length: 30 }, (_, i) =>
      fake.event(
        "invoice.paid",
        { object: "invoice", customer: someone(i) },
        { created: now - 600 },
      ),
    );
    const forged = Array.from({ length: 30 }, (_, i) =>
      fake.event("customer.subscription.deleted", { object: "subscription", customer: someone(i) }),
    );
    const duplicates = valid.filter(() => Math.random() < 0.3);

    type Send = { payload: string; kind: "valid" | "stale" | "forged" };
    const sends: Send[] = shuffle([
      ...[...valid, ...duplicates].map((payload) => ({ payload, kind: "valid" as const })),
      ...stale.map((payload) => ({ payload, kind: "stale" as const })),
      ...forged.map((payload) => ({ payload, kind: "forged" as const })),
    ]);
    const started = performance.now();
    const answers: Array<{
      kind: Send["kind"];
      status: number;
      duplicate?: boolean;
      code?: string;
    }> = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < sends.length) {
          const send = sends[next++] as Send;
          const signature = await fake.sign(
            send.payload,
            send.kind === "forged" ? "whsec_not_the_endpoint_secret" : webhookSecret,
            send.kind === "stale" ? { timestamp: now - 600 } : {},
          );
          const answer = await billing.webhook(send.payload, signature);
          answers.push({
            kind: send.kind,
            status: answer.status,
            duplicate: answer.json.duplicate,
            code: answer.json.code,
          });
        }
      }),
    );
    const sentMs = performance.now() - started;

    const validIds = valid.map((payload) => JSON.parse(payload).id as string);
    const refusedIds = [...stale, ...forged].map((payload) => JSON.parse(payload).id as string);
    expect(answers.filter((a) => a.kind === "valid").every((a) => a.status === 200)).toBe(true);
    expect(
      answers
        .filter((a) => a.kind !== "valid")
        .every((a) => a.status === 400 && a.code === "invalid_signature"),
    ).toBe(true);
    expect(answers.filter((a) => a.kind === "valid" && a.duplicate === false)).toHaveLength(
      validIds.length,
    );
    expect(answers.filter((a) => a.duplicate === true)).toHaveLength(duplicates.length);

    await eventually(
      () => billing.admin<{ left: number }[]>`
        select count(*)::int as left from stripe_events where id in ${billing.admin(validIds)} and processed_at is null`,
      ([row]) => row?.left === 0,
      { timeoutMs: 60_000 },
    );
    const processedMs = performance.now() - started;

    const recorded = await billing.admin<{ id: string }[]>`
      select id from stripe_events where id in ${billing.admin([...validIds, ...refusedIds])}`;
    expect(recorded.map((row) => row.id).sort()).toEqual([...validIds].sort());
    // Each processing reads the customer's subscriptions once: as many reads as events means no
    // event was processed twice, duplicates included.
    expect(fake.count("/v1/subscriptions", "GET")).toBe(validIds.length);

    for (const [index, tenantId] of tenants.entries()) {
      const { expected } = scenarios[index] as (typeof scenarios)[number];
      const [tenant] = await billing.admin<
        { plan: string; status: string; subscriptionStatus: string }[]
      >`
        select t.plan, t.status, a.subscription_status
        from tenants t join billing_accounts a on a.tenant_id = t.id where t.id = ${tenantId}`;
      expect(tenant, `tenant ${index}`).toEqual(expected);
      // The audit trail ends where the tenant is.
      const [lastPlan] = await billing.admin<{ data: { to: string } }[]>`
        select data from audit_events where tenant_id = ${tenantId} and action = 'plan_changed'
        order by id desc limit 1`;
      if (lastPlan) expect(lastPlan.data.to, `tenant ${index} audit`).toBe(expected.plan);
    }
    const view = await billing.call("GET", "/v1/billing/subscription", {
      token: await billing.tokenFor(tenants[1] as string, "member"),
    });
    expect(view.json).toMatchObject({
      plan: "business",
      status: "active",
      cancelAtPeriodEnd: true,
    });

    console.log(
      `[billing storm] ${sends.length} webhooks (${validIds.length} events, ${duplicates.length} duplicates, ` +
        `${stale.length} stale, ${forged.length} forged) for ${tenants.length} tenants: answered in ` +
        `${sentMs.toFixed(0)} ms, all processed after ${processedMs.toFixed(0)} ms ` +
        `(${((validIds.length * 1000) / processedMs).toFixed(0)} events/s)`,
    );
  }, 90_000);
});
