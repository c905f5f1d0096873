import { randomUUID } from "node:crypto";
import {
  closeRedis,
  connect,
  connectRedisForWorker,
  createQueues,
  type Queues,
  type RedisClient,
  type Sql,
} from "@oryn/shared";
import { serviceEnv } from "@oryn/testing/context";
import { type FakeStripe, startFakeStripe } from "@oryn/testing/fake-stripe";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { freePort, type RunningService, startService } from "@oryn/testing/processes";
import type { WebhookEndpoint } from "@oryn/testing/stripe-webhooks";
import { eventually } from "@oryn/testing/wait";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordFault } from "./report.ts";

/**
 * Billing SIGKILLed while Stripe has events to send: the fake Stripe resends each one with
 * backoff, as Stripe does, until billing is back and answers 2xx. Some events are sent twice on
 * purpose. Afterwards every event must be recorded once and processed once (one read of Stripe
 * per event that names a customer, no change audited twice for one event), and every tenant must
 * have the plan and status Stripe's state says.
 */
const kills = 3;
const tenantCount = 6;
const webhookSecret = "whsec_faults_billing_down_0123456789";

let run: Awaited<ReturnType<typeof isolatedRun>>;
let fake: FakeStripe;
let billing: RunningService | undefined;
let billingEnv: Record<string, string>;
let billingPort: number;
let sql: Sql;
let redis: RedisClient;
let queues: Queues;

beforeAll(async () => {
  // Billing's sweep acts on every tenant of its control plane: this file has its own.
  run = await isolatedRun("faults_billing");
  fake = await startFakeStripe();
  sql = connect(run.controlPlaneUrl, { max: 2 });
  // Billing's own queue, read from outside: a scenario step ends when no job is left.
  redis = connectRedisForWorker(run.redisUrl);
  queues = createQueues(redis, run.redisPrefix);
  billingPort = await freePort();
  billingEnv = {
    ...serviceEnv(run),
    ...fake.env(),
    STRIPE_WEBHOOK_SECRET: webhookSecret,
    // One read of Stripe per attempt, so reads count job runs; BullMQ retries what fails.
    STRIPE_MAX_NETWORK_RETRIES: "0",
    STRIPE_TIMEOUT_MS: "3000",
  };
}, 60_000);
afterAll(async () => {
  await billing?.stop();
  await fake?.close();
  await sql?.end();
  await queues?.close();
  if (redis) await closeRedis(redis);
  await run?.drop();
});

/** No billing job waiting, running or delayed. */
const queueIdle = () =>
  eventually(
    () => queues.get("billing").getJobCounts("waiting", "active", "delayed", "prioritized"),
    (counts) => Object.values(counts).every((n) => n === 0),
    { timeoutMs: 30_000 },
  );

const startBilling = async () => {
  billing = await startService("billing", billingPort, billingEnv);
};

type Plan = "pro" | "business";
// Stripe states whose outcome needs no waiting on a grace period.
const states: Array<{ plan: Plan; status: string; cancelAtPeriodEnd?: boolean }> = [
  { plan: "pro", status: "active" },
  { plan: "business", status: "active" },
  { plan: "business", status: "trialing" },
  { plan: "pro", status: "active", cancelAtPeriodEnd: true },
  { plan: "pro", status: "canceled" },
];
/** What billing must conclude from the subscription's last state. */
const expectedPlan = (state: (typeof states)[number]) =>
  state.status === "canceled" ? "free" : state.plan;

describe("billing down while Stripe sends webhooks", () => {
  it("processes every event exactly once after it is back, resends and duplicates included", async () => {
    const tenantIds = Array.from({ length: tenantCount }, () => randomUUID());
    for (const id of tenantIds) {
      await sql`insert into tenants (id, slug, name, status) values (${id}, ${`fb-${id.slice(0, 8)}`}, 'Faults billing', 'active')`;
    }
    await startBilling();
    // Billing's first sweep makes their Stripe customers.
    const accounts = await eventually(
      () => sql<{ tenantId: string; stripeCustomerId: string }[]>`
        select tenant_id, stripe_customer_id from billing_accounts where tenant_id in ${sql(tenantIds)}`,
      (rows) => rows.length === tenantCount,
      { timeoutMs: 30_000 },
    );
    // Their jobs are finished too: one killed after storing its row would stay active until
    // BullMQ finds it stalled (30 s), then run again.
    await queueIdle();
    const customerOf = new Map(accounts.map((row) => [row.tenantId, row.stripeCustomerId]));
    const tenantOfCustomer = new Map(accounts.map((row) => [row.stripeCustomerId, row.tenantId]));
    const endpoint: WebhookEndpoint = fake.endpoint(
      `${(billing as RunningService).url}/webhooks/stripe`,
      webhookSecret,
      { firstRetryMs: 100, maxRetryMs: 1_000 },
    );
    const readsBefore = fake.count("/v1/subscriptions", "GET");
    const last = new Map<string, (typeof states)[number]>();
    const eventIds: string[] = [];
    /** Events that name a customer of ours: each must cause exactly one read of Stripe. */
    const acting: string[] = [];
    let deliberateDuplicates = 0;
    const unprocessed = async () =>
      (
        await sql<{ n: number }[]>`
        select count(*)::int as n from stripe_events where id in ${sql(eventIds)} and processed_at is null`
      )[0]?.n;

    for (let cycle = 0; cycle < kills; cycle++) {
      await (billing as RunningService).stop("SIGKILL");
      const sentBefore = endpoint.deliveries.length;
      // What happens at Stripe while billing is down, and the events it sends about it.
      for (const [index, tenantId] of tenantIds.entries()) {
        const customer = customerOf.get(tenantId) as string;
        const state = states[(index + cycle) % states.length] as (typeof states)[number];
        const subscription = fake.setSubscription(customer, state);
        last.set(tenantId, state);
        const payloads = [
          fake.event("customer.subscription.updated", subscription),
          fake.event(
            state.status === "canceled" ? "customer.subscription.deleted" : "invoice.paid",
            {
              id: `in_${randomUUID()}`,
              object: "invoice",
              customer,
              subscription: subscription.id,
            },
          ),
          // A type billing records and sets aside.
          fake.event("customer.updated", { id: customer, object: "customer" }),
        ];
        for (const [n, payload] of payloads.entries()) {
          const id = JSON.parse(payload).id as string;
          eventIds.push(id);
          if (n < 2) acting.push(id);
          endpoint.send(payload);
          // Stripe delivers at least once: some events twice, deliberately.
          if ((index + n + cycle) % 3 === 0) {
            endpoint.send(payload);
            deliberateDuplicates++;
          }
        }
      }
      // Every delivery of this cycle has been refused at least once before billing is back.
      await eventually(
        async () => endpoint.deliveries.slice(sentBefore),
        (sent) => sent.every((delivery) => delivery.attempts.length >= 2),
        { timeoutMs: 20_000 },
      );
      await startBilling();
      await endpoint.settled();
      await eventually(unprocessed, (left) => left === 0, { timeoutMs: 30_000 });
      // The jobs are done, not merely the rows marked, before the next kill.
      await queueIdle();
    }

    // Late duplicates of events long processed, with billing up: recorded once, acted on never.
    for (const id of eventIds.slice(0, 5)) {
      const [row] = await sql<
        { payload: unknown }[]
      >`select payload from stripe_events where id = ${id}`;
      endpoint.send(JSON.stringify(row?.payload));
      deliberateDuplicates++;
    }
    await endpoint.settled();

    const deliveries = endpoint.deliveries;
    const attempts = deliveries.flatMap((delivery) => delivery.attempts);
    const refused = attempts.filter((a) => a.status === "no answer" || a.status >= 300).length;
    expect(deliveries.every((delivery) => delivery.delivered)).toBe(true);
    expect(refused).toBeGreaterThanOrEqual(deliveries.length - 5);

    // Each event recorded once and processed.
    const [recorded] = await sql<{ rows: number; ids: number; processed: number }[]>`
      select count(*)::int as rows, count(distinct id)::int as ids, count(processed_at)::int as processed
      from stripe_events where id in ${sql(eventIds)}`;
    expect(recorded).toEqual({
      rows: eventIds.length,
      ids: eventIds.length,
      processed: eventIds.length,
    });
    // One read of Stripe per acting event: no event's job ran its sync twice. Whatever the late
    // duplicates enqueued has run before the count is read.
    await queueIdle();
    const reads = fake.count("/v1/subscriptions", "GET") - readsBefore;
    expect(reads).toBe(acting.length);
    // No change audited twice for one event, and none on a tenant the event was not about.
    const audited = await sql<{ tenantId: string; action: string; eventId: string }[]>`
      select tenant_id, action, data->>'stripeEventId' as event_id from audit_events
      where data->>'stripeEventId' in ${sql(eventIds)}`;
    const keys = audited.map((row) => `${row.eventId} ${row.action}`);
    expect(new Set(keys).size).toBe(keys.length);
    const payloads = new Map(
      (
        await sql<
          { id: string; payload: any }[]
        >`select id, payload from stripe_events where id in ${sql(eventIds)}`
      ).map((row) => [row.id, row.payload]),
    );
    const leaks = audited.filter(
      (row) =>
        tenantOfCustomer.get(payloads.get(row.eventId)?.data?.object?.customer) !== row.tenantId,
    ).length;
    expect(leaks).toBe(0);
    // Every tenant ends as Stripe says.
    const tenants = await sql<{ id: string; plan: string; status: string }[]>`
      select id, plan, status from tenants where id in ${sql(tenantIds)}`;
    const wrong = tenants.filter((tenant) => {
      const state = last.get(tenant.id);
      return !state || tenant.plan !== expectedPlan(state) || tenant.status !== "active";
    });
    expect(wrong).toEqual([]);

    const detail = {
      events: eventIds.length,
      deliveries: deliveries.length,
      deliberateDuplicates,
      attempts: attempts.length,
      maxAttemptsOfOneDelivery: Math.max(...deliveries.map((d) => d.attempts.length)),
      stripeReads: reads,
    };
    console.log(`[billing webhooks down] ${JSON.stringify(detail)}`);
    recordFault({
      fault: "billing SIGKILL while Stripe sends webhooks",
      provoked: kills,
      requests: attempts.length,
      clientErrors: refused,
      dataLost: eventIds.length - (recorded?.processed ?? 0) + wrong.length,
      crossTenantLeaks: leaks,
      detail,
    });
  }, 120_000);
});
