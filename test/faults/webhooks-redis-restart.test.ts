/**
 * Fault: the stack's Redis (a private one: the machine's shared Redis is never touched) is killed
 * and restarted, empty, while two tenants keep writing and their events are being delivered. The
 * BullMQ jobs of deliveries in flight go with it; the webhooks service's sweep hands the due
 * deliveries to the new Redis. Every event is delivered, under the id it was logged with, and no
 * endpoint ever receives another tenant's event.
 */
import { connect } from "@oryn/shared";
import { serviceEnv } from "@oryn/testing/context";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { type Oryn, startOryn } from "@oryn/testing/processes";
import { startPrivateRedis } from "@oryn/testing/redis-server";
import { signUpAndWait } from "@oryn/testing/wait";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver } from "../../services/webhooks/test/receiver.ts";
import { countedCaller } from "./counted-calls.ts";
import { recordFault } from "./report.ts";

let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
let controlPlane: Awaited<ReturnType<typeof isolatedRun>>;
let oryn: Oryn;
const receiver = await startReceiver();
/** Writes per tenant before, during and after the outage. */
const perPhase = 8;

beforeAll(async () => {
  [redis, controlPlane] = await Promise.all([startPrivateRedis(), isolatedRun("whredis")]);
  oryn = await startOryn(
    {
      ...serviceEnv(controlPlane),
      REDIS_URL: redis.url,
      WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true",
      WEBHOOKS_POLL_MS: "50",
      WEBHOOKS_RETRY_FIRST_DELAY_MS: "200",
      WEBHOOKS_RETRY_MAX_DELAY_MS: "1000",
      WEBHOOKS_TIMEOUT_MS: "3000",
      WEBHOOKS_JOB_LOCK_SECONDS: "2",
      // Deliveries whose jobs Redis lost are handed over again by the sweep: often, so it is short.
      WEBHOOKS_SWEEP_SECONDS: "1",
      PROVISIONING_SWEEP_SECONDS: "2",
    },
    {},
    { webhooks: true },
  );
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
    const cp = connect(controlPlane.controlPlaneUrl, { max: 1 });
    const tenants: ({ label: string } & Awaited<ReturnType<typeof signUpAndWait>>)[] = [];
    for (const label of ["a", "b"]) {
      const signed = await signUpAndWait(call, { intervalMs: 100 });
      // Past the free plan's project cap, which has tests of its own.
      await cp`update tenants set plan = 'business' where id = ${signed.tenantId}`;
      const endpoint = await call("POST", "/v1/webhook-endpoints", {
        token: signed.token,
        body: { url: receiver.url(`/${label}`), events: ["*"] },
      });
      expect(endpoint.status).toBe(201);
      receiver.trust(endpoint.json.secret);
      // Slow answers keep deliveries in flight (their jobs in Redis) when it goes.
      receiver.answer(`/${label}`, (count) => (count % 3 === 0 ? "hang" : 200));
      tenants.push({ label, ...signed });
    }
    await cp.end();
    const write = async (phase: string) => {
      for (let n = 0; n < perPhase; n++) {
        for (const tenant of tenants) {
          const created = await call("POST", "/v1/projects", {
            token: tenant.token,
            body: { name: `${tenant.label}-${phase}-${n}` },
          });
          expect(created.status, JSON.stringify(created.json)).toBe(201);
        }
      }
    };

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

    let crossTenant = 0;
    for (const tenant of tenants) {
      const mine = receiver.received.filter((item) => item.path === `/${tenant.label}`);
      crossTenant += mine.filter((item) => item.body.tenantId !== tenant.tenantId).length;
      // Delivered ids are exactly the tenant's event log, so none was renamed on a retry.
      const pulled = await call("GET", "/v1/events?limit=200", { token: tenant.token });
      const logged = pulled.json.items.map((event: { id: string }) => event.id).sort();
      expect([...distinct(tenant.label)].sort()).toEqual(logged);
      // Each delivery of one id carries the same event.
      for (const item of mine) {
        expect(item.verifiedBy.length).toBe(1);
        expect(item.body.id).toBe(item.id);
      }
    }
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
