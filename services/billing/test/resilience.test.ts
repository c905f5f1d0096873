import {
  closeRedis,
  connectRedisForWorker,
  createJobWorker,
  UnrecoverableError,
} from "@oryn/shared";
import type { FakeStripe } from "@oryn/testing/fake-stripe";
import { freePort } from "@oryn/testing/processes";
import { ensureStripeCustomer } from "../src/customers/ensure-customer.ts";
import { syncTenantBilling } from "../src/sync/sync-tenant.ts";
import {
  type Billing,
  billingInProcess,
  describe,
  eventually,
  expect,
  test,
  webhookSecret,
} from "./fixtures.ts";

/** Outages of Stripe and of Redis, and work that went missing: no event may be lost. */
const it = test.extend("helpers", { scope: "file" }, ({ billing, stripe }) =>
  resilienceHelpers(billing, stripe),
);

function resilienceHelpers(billing: Billing, fake: FakeStripe) {
  /** A tenant with its Stripe customer, then put in `status` (a deleting one gets none made). */
  async function tenantWithCustomer(status = "active") {
    const tenantId = await billing.activeTenant();
    const customerId = await ensureStripeCustomer({
      ...billing.deps,
      stripe: billing.stripe,
      tenantId,
    });
    await billing.admin`update tenants set status = ${status} where id = ${tenantId}`;
    return { tenantId, customerId: customerId as string };
  }

  async function send(type: string, object: Record<string, unknown>) {
    const payload = fake.event(type, object);
    const answer = await billing.webhook(payload, await fake.sign(payload, webhookSecret));
    return { id: JSON.parse(payload).id as string, answer };
  }

  const tenantRow = async (tenantId: string) =>
    (
      await billing.admin<{ plan: string; status: string }[]>`
      select plan, status from tenants where id = ${tenantId}`
    )[0];

  const unprocessed = async (ids: string[]) =>
    (
      await billing.admin<{ n: number }[]>`
      select count(*)::int as n from stripe_events where id in ${billing.admin(ids)} and processed_at is null`
    )[0]?.n;

  return { tenantWithCustomer, send, tenantRow, unprocessed };
}

describe("Stripe down", () => {
  it("records every event (200), retries the jobs with backoff through 500s and 429s, and ends right", async ({
    billing,
    stripe: fake,
    helpers: { send, tenantRow, unprocessed, tenantWithCustomer },
  }) => {
    const tenants = await Promise.all([
      tenantWithCustomer(),
      tenantWithCustomer(),
      tenantWithCustomer(),
    ]);
    const worker = billing.startWorker();
    fake.failWith(500);
    const failedBefore = fake.calls.filter((call) => call.status === 500).length;
    const ids: string[] = [];
    try {
      for (const [index, { customerId }] of tenants.entries()) {
        const subscription = fake.setSubscription(customerId, {
          plan: index === 0 ? "business" : "pro",
          status: index === 2 ? "canceled" : "active",
        });
        for (const type of ["customer.subscription.updated", "invoice.paid"]) {
          const { id, answer } = await send(
            type,
            type === "invoice.paid" ? { object: "invoice", customer: customerId } : subscription,
          );
          expect(answer.status).toBe(200);
          ids.push(id);
        }
      }
      // Every job has failed against the outage; nothing changed meanwhile.
      const queue = billing.jobs.queues.get("billing");
      const attempts = () =>
        Promise.all(ids.map(async (id) => (await queue.getJob(id))?.attemptsMade ?? 0));
      await eventually(attempts, (made) => made.every((n) => n >= 1));
      expect(
        fake.calls.filter((call) => call.status === 500).length - failedBefore,
      ).toBeGreaterThanOrEqual(ids.length);
      expect(await unprocessed(ids)).toBe(ids.length);
      expect(await tenantRow(tenants[0]?.tenantId as string)).toEqual({
        plan: "free",
        status: "active",
      });

      // Then Stripe rate-limits us, and the retries (after BullMQ's backoff) meet that too. Each
      // job's next retry is due 1 s after its first failure, and on a loaded machine the sends
      // and checks above can take that long: a retry may have met the 500s still. So each job is
      // waited for until two more attempts end: the second of them began after the switch.
      const beforeSwitch = await attempts();
      fake.failWith(429);
      await eventually(
        attempts,
        (made) => made.every((n, index) => n >= (beforeSwitch[index] ?? 0) + 2),
        { timeoutMs: 30_000 },
      );
      expect(fake.calls.filter((call) => call.status === 429).length).toBeGreaterThanOrEqual(
        ids.length,
      );
      expect(await unprocessed(ids)).toBe(ids.length);
    } finally {
      fake.failWith(undefined);
    }
    await eventually(
      () => unprocessed(ids),
      (left) => left === 0,
    );
    expect(await tenantRow(tenants[0]?.tenantId as string)).toEqual({
      plan: "business",
      status: "active",
    });
    expect(await tenantRow(tenants[1]?.tenantId as string)).toEqual({
      plan: "pro",
      status: "active",
    });
    expect(await tenantRow(tenants[2]?.tenantId as string)).toEqual({
      plan: "free",
      status: "active",
    });
    await worker.close();
  }, 60_000);
});

describe("work that went missing", () => {
  it("answers 200 for a recorded event it could not enqueue (Redis away), and the sweep enqueues it", async ({
    billing,
    stripe: fake,
    billingRun: run,
    helpers: { tenantRow, unprocessed, tenantWithCustomer },
  }) => {
    // Billing whose queue connection points at a port nothing listens on.
    const cutOff = await billingInProcess(run, fake, {
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    });
    try {
      const { tenantId, customerId } = await tenantWithCustomer();
      const subscription = fake.setSubscription(customerId, { plan: "pro", status: "active" });
      const payload = fake.event("customer.subscription.created", subscription);
      const answer = await cutOff.webhook(payload, await fake.sign(payload, webhookSecret));
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ received: true, duplicate: false });
      const id = JSON.parse(payload).id as string;
      expect(await unprocessed([id])).toBe(1);
      expect(await billing.jobs.queues.get("billing").getJob(id)).toBeUndefined();

      const report = await billing.jobs.sweep({ olderThanSeconds: 0 });
      expect(report.events).toBeGreaterThanOrEqual(1);
      const worker = billing.startWorker();
      await eventually(
        () => unprocessed([id]),
        (left) => left === 0,
      );
      expect(await tenantRow(tenantId)).toEqual({ plan: "pro", status: "active" });
      await worker.close();
    } finally {
      await cutOff.close();
    }
  });

  it("retries through the sweep a job that failed for good, and processes the event once", async ({
    billing,
    stripe: fake,
    helpers: { send, tenantRow, unprocessed, tenantWithCustomer },
  }) => {
    const { tenantId, customerId } = await tenantWithCustomer();
    const subscription = fake.setSubscription(customerId, { plan: "business", status: "active" });
    // A worker whose every attempt fails for good, standing for a job whose attempts are spent.
    const connection = connectRedisForWorker(billing.config.REDIS_URL);
    const failing = createJobWorker({
      queue: "billing",
      connection,
      prefix: billing.config.REDIS_PREFIX,
      concurrency: 1,
      logger: billing.deps.logger,
      handlers: {
        processStripeEvent: async () => {
          throw new UnrecoverableError("attempts spent");
        },
        createStripeCustomer: async () => {
          throw new UnrecoverableError("attempts spent");
        },
        syncTenantBilling: async () => {
          throw new UnrecoverableError("attempts spent");
        },
      },
    });
    const { id } = await send("customer.subscription.created", subscription);
    const queue = billing.jobs.queues.get("billing");
    await eventually(
      async () => (await queue.getJob(id))?.getState(),
      (state) => state === "failed",
    );
    await failing.close();
    await closeRedis(connection);
    expect(await unprocessed([id])).toBe(1);

    const reads = fake.count("/v1/subscriptions", "GET");
    const worker = billing.startWorker();
    await billing.jobs.sweep({ olderThanSeconds: 0 });
    await eventually(
      () => unprocessed([id]),
      (left) => left === 0,
    );
    expect(await tenantRow(tenantId)).toEqual({ plan: "business", status: "active" });
    // A second sweep finds nothing to do, and the event is not processed again.
    await billing.jobs.sweep({ olderThanSeconds: 0 });
    // Whatever that sweep enqueued has run before the count is read.
    await eventually(
      () => billing.jobs.queues.get("billing").getJobCounts("waiting", "active", "delayed"),
      (counts) => (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) === 0,
    );
    expect(fake.count("/v1/subscriptions", "GET") - reads).toBe(1);
    await worker.close();
  });

  it("restricts a tenant whose grace ended when its delayed sync was lost", async ({
    billing,
    stripe: fake,
    helpers: { tenantRow, tenantWithCustomer },
  }) => {
    const { tenantId, customerId } = await tenantWithCustomer();
    fake.setSubscription(customerId, { plan: "pro", status: "past_due" });
    await billing.admin`
      update billing_accounts set payment_failed_at = now() - interval '4 days', subscription_status = 'past_due'
      where tenant_id = ${tenantId}`;
    const worker = billing.startWorker();
    const report = await billing.jobs.sweep({ olderThanSeconds: 0 });
    expect(report.graceSyncs).toBeGreaterThanOrEqual(1);
    await eventually(
      () => tenantRow(tenantId),
      (row) => row?.status === "restricted",
    );
    const [audit] = await billing.admin<{ action: string; data: Record<string, unknown> }[]>`
      select action, data from audit_events where tenant_id = ${tenantId} and action = 'status_changed'`;
    expect(audit?.data).toMatchObject({
      from: "active",
      to: "restricted",
      subscriptionStatus: "past_due",
    });
    await worker.close();
  });
});

describe("two syncs of one tenant at once", () => {
  it("never write an older Stripe answer over a newer one: the later sync waits and reads later", async ({
    billing,
    stripe: fake,
    helpers: { tenantRow, tenantWithCustomer },
  }) => {
    const { tenantId, customerId } = await tenantWithCustomer();
    fake.setSubscription(customerId, { plan: "pro", status: "active" });
    // The first read answers late with "pro"; by the time it lands Stripe says "business".
    fake.delayNext("/v1/subscriptions", 400);
    const first = syncTenantBilling(billing.jobs.syncDeps, tenantId, { cause: "test-first" });
    await eventually(
      async () => fake.calls.filter((call) => call.path === "/v1/subscriptions").length,
      (n) => n > 0 && fake.calls.at(-1)?.path === "/v1/subscriptions",
    );
    fake.setSubscription(customerId, { plan: "business", status: "active" });
    const second = syncTenantBilling(billing.jobs.syncDeps, tenantId, { cause: "test-second" });
    await Promise.all([first, second]);
    expect(await tenantRow(tenantId)).toEqual({ plan: "business", status: "active" });
    // The audit log shows the order: pro first, then business.
    const changes = await billing.admin<{ data: { to: string } }[]>`
      select data from audit_events where tenant_id = ${tenantId} and action = 'plan_changed' order by id`;
    expect(changes.map((row) => row.data.to)).toEqual(["pro", "business"]);
  });
});

describe("what billing leaves alone or works out", () => {
  it("adopts a customer Stripe made for a tenant whose row was never stored, by Stripe's metadata", async ({
    billing,
    stripe: fake,
    helpers: { send, tenantRow, unprocessed },
  }) => {
    const tenantId = await billing.activeTenant();
    // As if the job died between Stripe's answer and our insert.
    const customer = await billing.stripe.customers.create({ metadata: { tenantId } });
    const subscription = fake.setSubscription(customer.id, { plan: "pro", status: "active" });
    const worker = billing.startWorker();
    const { id } = await send("customer.subscription.created", subscription);
    await eventually(
      () => unprocessed([id]),
      (left) => left === 0,
    );
    expect(await tenantRow(tenantId)).toEqual({ plan: "pro", status: "active" });
    const [account] =
      await billing.admin`select stripe_customer_id from billing_accounts where tenant_id = ${tenantId}`;
    expect(account?.stripeCustomerId).toBe(customer.id);

    // A customer whose metadata names no tenant of ours changes nothing and is set aside.
    const stranger = await billing.stripe.customers.create({
      metadata: { tenantId: "not-a-uuid" },
    });
    const other = await send(
      "customer.subscription.created",
      fake.setSubscription(stranger.id, { plan: "business", status: "active" }),
    );
    await eventually(
      () => unprocessed([other.id]),
      (left) => left === 0,
    );
    await worker.close();
  });

  it("sets aside event types it does not act on without asking Stripe", async ({
    billing,
    stripe: fake,
    helpers: { send, unprocessed },
  }) => {
    const worker = billing.startWorker();
    const reads = fake.count("/v1/subscriptions", "GET");
    const { id } = await send("customer.created", { id: "cus_x", object: "customer" });
    await eventually(
      () => unprocessed([id]),
      (left) => left === 0,
    );
    expect(fake.count("/v1/subscriptions", "GET")).toBe(reads);
    await worker.close();
  });

  it("changes the plan but not the status of a tenant still provisioning, and nothing of one being deleted", async ({
    billing,
    stripe: fake,
    helpers: { send, tenantRow, unprocessed, tenantWithCustomer },
  }) => {
    const provisioning = await tenantWithCustomer("provisioning");
    const deleting = await tenantWithCustomer("deleting");
    const worker = billing.startWorker();
    const ids: string[] = [];
    for (const { customerId } of [provisioning, deleting]) {
      const subscription = fake.setSubscription(customerId, { plan: "pro", status: "unpaid" });
      ids.push(
        (
          await send("invoice.payment_failed", {
            object: "invoice",
            customer: customerId,
            subscription: subscription.id,
          })
        ).id,
      );
    }
    await billing.admin`update billing_accounts set payment_failed_at = now() - interval '4 days' where tenant_id in ${billing.admin([provisioning.tenantId, deleting.tenantId])}`;
    await eventually(
      () => unprocessed(ids),
      (left) => left === 0,
    );
    expect(await tenantRow(provisioning.tenantId)).toEqual({ plan: "pro", status: "provisioning" });
    expect(await tenantRow(deleting.tenantId)).toEqual({ plan: "free", status: "deleting" });
    await worker.close();
  });
});
