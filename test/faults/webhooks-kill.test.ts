/**
 * Faults: the webhooks service is SIGKILLed while deliveries are in flight (its receivers hang,
 * so attempts are mid-way), and workspace is SIGKILLed with committed events still in a tenant's
 * outbox (what a kill between commit and the move to the control plane leaves). After both come
 * back, every event is delivered, each with the id it had, and no endpoint ever receives another
 * tenant's event.
 */
import { connect, tenantDatabaseName, withDatabase } from "@oryn/shared";
import { testRun } from "@oryn/testing/context";
import { jsonCaller } from "@oryn/testing/http";
import type { Oryn } from "@oryn/testing/processes";
import { startWebhooksStack } from "@oryn/testing/webhooks-stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver } from "../../services/webhooks/test/receiver.ts";
import { recordFault } from "./report.ts";
import { checkDeliveries, tenantsWithEndpoints, writeProjects } from "./webhook-tenants.ts";

const run = testRun();
let oryn: Oryn;
const receiver = await startReceiver();
const call = jsonCaller((path, init) => fetch(`${oryn.gatewayUrl}${path}`, init));
const perTenant = 15;

beforeAll(async () => {
  oryn = await startWebhooksStack(run, {
    WEBHOOKS_TIMEOUT_MS: "3000",
    WEBHOOKS_JOB_LOCK_SECONDS: "2",
    WEBHOOKS_SWEEP_SECONDS: "1",
    // The workspace that comes back is a new process: the killed one's marks are taken over
    // once older than three sweep periods (the default 30 s would be 90 s and more).
    EVENT_OUTBOX_SWEEP_SECONDS: "2",
  });
});
afterAll(async () => {
  await oryn?.stop();
  await receiver.close();
});

describe("webhooks under faults", () => {
  it("webhooks SIGKILLed mid-delivery, workspace SIGKILLed before moving an outbox: nothing lost, ids kept, nothing crosses tenants", async () => {
    const tenants = await tenantsWithEndpoints(call, run.controlPlaneUrl, receiver, {
      intervalMs: 50,
    });
    // The first tries hang: the worker is mid-delivery when it is killed.
    for (const { label } of tenants)
      receiver.answer(`/${label}`, (count) => (count <= 3 ? "hang" : 200));
    await writeProjects(call, tenants, perTenant);
    await receiver.until((all) => all.length >= 3, "attempts in flight");
    await oryn.kill("webhooks");

    // Committed events no relay has moved yet: what workspace killed after commit leaves. A
    // workspace marks the tenant (event_outbox_marks) before every write, so the stranded write
    // is marked first, as the route would; the sweep looks only at marked tenants. The mark keeps
    // the killed process as its maker: the revived one, a new process, moves it as an orphan.
    const tenantA = tenants[0] as (typeof tenants)[number];
    const tenantDb = connect(withDatabase(run.postgresUrl, tenantDatabaseName(tenantA.tenantId)), {
      max: 1,
    });
    await oryn.kill("workspace");
    const marks = connect(run.controlPlaneUrl, { max: 1 });
    await marks`
      insert into event_outbox_marks (tenant_id) values (${tenantA.tenantId})
      on conflict (tenant_id) do update set marked_at = clock_timestamp()`;
    await marks.end();
    const stranded = await tenantDb<{ id: string }[]>`
      insert into event_outbox (type, data)
      values ('project.created', ${tenantDb.json({ name: "stranded" })}) returning id`;
    await tenantDb.end();
    await oryn.revive("workspace");
    await oryn.revive("webhooks");

    const expected = perTenant + 1;
    await receiver.until(
      (all) =>
        tenants.every(
          (tenant) =>
            new Set(all.filter((item) => item.path === `/${tenant.label}`).map((item) => item.id))
              .size >= (tenant === tenantA ? expected : perTenant),
        ),
      "every event of both tenants",
      90_000,
    );
    const { crossTenant } = await checkDeliveries(call, receiver, tenants);
    expect(crossTenant).toBe(0);
    expect(receiver.received.some((item) => item.id === stranded[0]?.id)).toBe(true);

    recordFault({
      fault: "webhooks SIGKILL mid-delivery and workspace SIGKILL before the outbox move",
      provoked: 2,
      requests: perTenant * 2,
      clientErrors: 0,
      dataLost: 0,
      crossTenantLeaks: crossTenant,
      detail: {
        deliveriesReceived: receiver.received.length,
        distinctEvents: new Set(receiver.received.map((item) => item.id)).size,
      },
    });
  });
});
