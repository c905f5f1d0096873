import { afterAll, describe, expect, it } from "vitest";
import { recordEvents, registerEndpoint, tenantWithAdmin, webhooksInProcess } from "./fixtures.ts";
import { startReceiver } from "./receiver.ts";

// Four deliveries at once in the process; one endpoint may hold one of them, one tenant two.
const webhooks = await webhooksInProcess({
  WEBHOOKS_CONCURRENCY: "4",
  WEBHOOKS_ENDPOINT_CONCURRENCY: "1",
  WEBHOOKS_TENANT_CONCURRENCY: "2",
  WEBHOOKS_TIMEOUT_MS: "10000",
});
const receiver = await startReceiver();
afterAll(async () => {
  await receiver.close();
  await webhooks.close();
});

describe("a black-holed endpoint harms nobody else", () => {
  it("other tenants' deliveries all arrive while the black hole holds at most its endpoint's share", async () => {
    const { sql, deps } = webhooks;
    const slow = await tenantWithAdmin(sql);
    receiver.answer("/black-hole", "hang");
    await registerEndpoint(deps, slow.tenantId, receiver.url("/black-hole"));
    // The slow tenant's events go first, so its jobs are ahead of everyone else's in the queue.
    await recordEvents(
      sql,
      slow.tenantId,
      Array.from({ length: 20 }, (_, n) => ({ type: "task.created" as const, data: { n } })),
    );
    await receiver.until((all) => all.some((item) => item.path === "/black-hole"), "the first");

    const others = [await tenantWithAdmin(sql), await tenantWithAdmin(sql)];
    for (const [index, other] of others.entries()) {
      await registerEndpoint(deps, other.tenantId, receiver.url(`/healthy-${index}`));
      await recordEvents(
        sql,
        other.tenantId,
        Array.from({ length: 10 }, (_, n) => ({ type: "project.created" as const, data: { n } })),
      );
    }
    await receiver.until(
      (all) => all.filter((item) => item.path.startsWith("/healthy-")).length >= 20,
      "the other tenants' 20 deliveries",
    );
    // Measured by counts, not time: by the time all 20 arrived, the black hole had been sent at
    // most one (its endpoint's limit; two if the first timed out meanwhile on a slow machine).
    // Without the limits, its 20 queued jobs would have taken all four slots first and the
    // others would have waited out 10 s timeouts.
    const holeRequests = receiver.received.filter((item) => item.path === "/black-hole").length;
    expect(holeRequests).toBeLessThanOrEqual(2);
  });
});
