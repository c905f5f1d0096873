/**
 * Fault: a receiver down for a while, then back. Tenant a's endpoint refuses connections (nothing
 * listens on its port until a relay to the receiver opens there); tenant b's answers 503. Events
 * written while they are down are retried (on a schedule shrunk through the settings) and each
 * attempt is logged; once the receivers are back every event is delivered under the id it was
 * logged with, and no endpoint ever receives another tenant's event.
 */
import { testRun } from "@oryn/testing/context";
import { freePort, type Oryn } from "@oryn/testing/processes";
import { relay } from "@oryn/testing/tcp-relay";
import { eventually } from "@oryn/testing/wait";
import { startWebhooksStack } from "@oryn/testing/webhooks-stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver } from "../../services/webhooks/test/receiver.ts";
import { countedCaller } from "./counted-calls.ts";
import { recordFault } from "./report.ts";
import {
  checkDeliveries,
  type EndpointTenant,
  tenantsWithEndpoints,
  writeProjects,
} from "./webhook-tenants.ts";

const run = testRun();
let oryn: Oryn;
const receiver = await startReceiver();
let gate: Awaited<ReturnType<typeof relay>> | undefined;
const perTenant = 10;

type Attempt = {
  eventId: string;
  attempt: number;
  status: "succeeded" | "failed";
  responseStatus: number | null;
  response: string;
};

beforeAll(async () => {
  oryn = await startWebhooksStack(run, {
    WEBHOOKS_TIMEOUT_MS: "3000",
    WEBHOOKS_SWEEP_SECONDS: "1",
  });
}, 90_000);

afterAll(async () => {
  await oryn?.stop();
  await gate?.close();
  await receiver.close();
});

describe("webhooks to a receiver that is down for a while", () => {
  it("retries refused connections and 503s, logs each attempt, and delivers every event once the receiver is back", async () => {
    const { call, counts } = countedCaller(oryn.gatewayUrl, { timeoutMs: 10_000 });
    // Nothing listens here until the relay opens: connections are refused.
    const refusingPort = await freePort();
    let down = true;
    receiver.answer("/b", () => (down ? 503 : 200));
    const tenants = await tenantsWithEndpoints(call, run.controlPlaneUrl, receiver, {
      intervalMs: 100,
      url: (label) =>
        label === "a" ? `http://127.0.0.1:${refusingPort}/a` : receiver.url(`/${label}`),
    });
    await writeProjects(call, tenants, perTenant);

    /** Every attempt the endpoint's delivery log lists, all pages. */
    const attempts = async (tenant: EndpointTenant) => {
      const all: Attempt[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
        const page = await call(
          "GET",
          `/v1/webhook-endpoints/${tenant.endpointId}/deliveries?limit=200${query}`,
          { token: tenant.token },
        );
        expect(page.status).toBe(200);
        all.push(...page.json.items);
        cursor = page.json.nextCursor;
      } while (cursor);
      return all;
    };
    // Down long enough that every event has failed and been retried at least once.
    await eventually(
      () => Promise.all(tenants.map(attempts)),
      (logs) =>
        logs.every((log) => {
          const retried = new Set(
            log.filter((a) => a.status === "failed" && a.attempt >= 2).map((a) => a.eventId),
          );
          return retried.size >= perTenant;
        }),
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(receiver.received.filter((item) => item.path === "/a")).toHaveLength(0);
    const failedWhileDown = receiver.received.filter((item) => item.path === "/b").length;

    // Back: a's port now reaches the receiver, b answers 200.
    gate = await relay(refusingPort, receiver.url("/"));
    down = false;
    // b's 503s reached the receiver too: done is each event's 200, as the delivery log says.
    await eventually(
      () => Promise.all(tenants.map(attempts)),
      (logs) =>
        logs.every(
          (log) =>
            new Set(log.filter((a) => a.status === "succeeded").map((a) => a.eventId)).size >=
            perTenant,
        ),
      { timeoutMs: 60_000, intervalMs: 500 },
    );

    const { crossTenant, logged: loggedBy } = await checkDeliveries(call, receiver, tenants);
    const figures: Record<string, unknown> = {};
    for (const tenant of tenants) {
      const logged = loggedBy.get(tenant.label) ?? [];
      const log = await attempts(tenant);
      const failed = log.filter((a) => a.status === "failed");
      const succeeded = log.filter((a) => a.status === "succeeded");
      // The log's attempts are of the logged events only, and each event succeeded once retried.
      expect([...new Set(log.map((a) => a.eventId))].sort()).toEqual(logged);
      expect(new Set(succeeded.map((a) => a.eventId)).size).toBe(logged.length);
      for (const attempt of succeeded) expect(attempt.attempt).toBeGreaterThanOrEqual(2);
      if (tenant.label === "a") {
        // Refused: no answer to log, the reason instead.
        for (const attempt of failed) expect(attempt.responseStatus).toBeNull();
      } else {
        for (const attempt of failed) expect(attempt.responseStatus).toBe(503);
      }
      figures[tenant.label === "a" ? "refused" : "answered503"] = {
        events: logged.length,
        failedAttempts: failed.length,
        highestAttempt: Math.max(...log.map((a) => a.attempt)),
      };
    }
    expect(crossTenant).toBe(0);
    expect(counts.clientErrors, JSON.stringify(counts.statuses)).toBe(0);

    recordFault({
      fault: "webhook receiver down (refusing, 503) then back",
      provoked: 2,
      requests: counts.requests,
      clientErrors: counts.clientErrors,
      dataLost: 0,
      crossTenantLeaks: crossTenant,
      detail: { ...figures, deliveries503WhileDown: failedWhileDown },
    });
  }, 300_000);
});
