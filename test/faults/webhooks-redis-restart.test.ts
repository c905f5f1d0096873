/**
 * Fault: the stack's Redis (a private one: the machine's shared Redis is never touched) is killed
 * and restarted, empty, while two tenants keep writing and their events are being delivered. The
 * BullMQ jobs of deliveries in flight go with it; the webhooks service's sweep hands the due
 * deliveries to the new Redis. Every event is delivered, under the id it was logged with, and no
 * endpoint ever receives another tenant's event.
 */
import { isolatedRun } from "@oryn/testing/isolated-run";
import type { Oryn } from "@oryn/testing/processes";
import { startPrivateRedis } from "@oryn/testing/redis-server";
import { startWebhooksStack } from "@oryn/testing/webhooks-stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver } from "../../services/webhooks/test/receiver.ts";
import { countedCaller } from "./counted-calls.ts";
import { recordFault } from "./report.ts";
import { checkDeliveries, tenantsWithEndpoints, writeProjects } from "./webhook-tenants.ts";

let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
let controlPlane: Awaited<ReturnType<typeof isolatedRun>>;
let oryn: Oryn;
const receiver = await startReceiver();
/** Writes per tenant before, during and after the outage. */
const perPhase = 8;

beforeAll(async () => {
  [redis, controlPlane] = await Promise.all([startPrivateRedis(), isolatedRun("whredis")]);
  oryn = await startWebhooksStack(controlPlane, {
    REDIS_URL: redis.url,
    WEBHOOKS_TIMEOUT_MS: "3000",
    WEBHOOKS_JOB_LOCK_SECONDS: "2",
    // Deliveries whose jobs Redis lost are handed over again by the sweep: often, so it is short.
    WEBHOOKS_SWEEP_SECONDS: "1",
    PROVISIONING_SWEEP_SECONDS: "2",
  });
}, 90_000);

afterAll(async () => {
  await oryn?.stop();
  await receiver.close();
  await redis?.stop();
  await controlPlane?.drop();
});

describe("webhooks while Redis restarts", () => {
  it("delivers every event written before, during and after the outage, ids kept, nothing crosses tenants", async () => {
    const { call, counts } = countedCaller(oryn.gatewayUrl, { timeoutMs: 10_000 });
    const tenants = await tenantsWithEndpoints(call, controlPlane.controlPlaneUrl, receiver, {
      intervalMs: 100,
    });
    // Slow answers keep deliveries in flight (their jobs in Redis) when it goes.
    for (const { label } of tenants)
      receiver.answer(`/${label}`, (count) => (count % 3 === 0 ? "hang" : 200));
    const write = (phase: string) => writeProjects(call, tenants, perPhase, `${phase}-`);

    await write("before");
    await receiver.until((all) => all.length >= 4, "deliveries under way");
    const receivedBefore = receiver.received.length;
    await redis.stop();
    const stoppedAt = Date.now();
    // Writes go on while Redis is away: the outbox is in the databases, not in Redis.
    await write("during");
    const receivedDuringOutage = receiver.received.length - receivedBefore;
    redis = await startPrivateRedis(redis.port);
    const outageMs = Date.now() - stoppedAt;
    await write("after");
    // The slow answers stop; what hung is retried once its attempt times out.
    for (const tenant of tenants) receiver.answer(`/${tenant.label}`, 200);

    const perTenant = perPhase * 3;
    const distinct = (label: string) =>
      new Set(receiver.received.filter((item) => item.path === `/${label}`).map((item) => item.id));
    await receiver.until(
      () => tenants.every((tenant) => distinct(tenant.label).size >= perTenant),
      "every event of both tenants",
      120_000,
    );

    const { crossTenant } = await checkDeliveries(call, receiver, tenants);
    // Each delivery of one id carries the same event.
    for (const item of receiver.received) expect(item.body.id).toBe(item.id);
    expect(crossTenant).toBe(0);
    expect(counts.clientErrors, JSON.stringify(counts.statuses)).toBe(0);

    recordFault({
      fault: "Redis restarted while webhook events flow",
      provoked: 1,
      requests: counts.requests,
      clientErrors: counts.clientErrors,
      dataLost: 0,
      crossTenantLeaks: crossTenant,
      detail: {
        outageMs,
        eventsWritten: perTenant * tenants.length,
        receivedDuringOutage,
        deliveriesReceived: receiver.received.length,
        distinctEvents: new Set(receiver.received.map((item) => item.id)).size,
      },
    });
  }, 240_000);
});
