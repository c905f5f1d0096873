import { afterAll, describe, expect, it } from "vitest";
import { recordEvents, registerEndpoint, tenantWithAdmin, webhooksInProcess } from "./fixtures.ts";
import { startReceiver } from "./receiver.ts";

// Three days shrunk to two seconds.
const webhooks = await webhooksInProcess({ WEBHOOKS_RETRY_WINDOW_SECONDS: "2" });
const receiver = await startReceiver();
afterAll(async () => {
  await receiver.close();
  await webhooks.close();
});

describe("an endpoint failing for the whole retry window", () => {
  it("is disabled, its deliveries stop, and the tenant's admins are mailed once", async () => {
    const { sql, deps } = webhooks;
    const { tenantId, adminEmail } = await tenantWithAdmin(sql);
    receiver.answer("/down", 503);
    const endpoint = await registerEndpoint(deps, tenantId, receiver.url("/down"));
    await recordEvents(sql, tenantId, [{ type: "project.created", data: {} }]);

    await expect
      .poll(
        async () =>
          (
            await sql<
              { status: string }[]
            >`select status from webhook_endpoints where id = ${endpoint.id}`
          )[0]?.status,
        { timeout: 20_000, interval: 200 },
      )
      .toBe("disabled");
    // The notice is queued just after the disabling commits.
    const notices = async () =>
      (await deps.queues.get("mail").getJobs(["waiting", "delayed", "prioritized"])).filter(
        (job) => job.data.template === "webhook-endpoint-disabled",
      );
    await expect.poll(async () => (await notices()).length, { timeout: 10_000 }).toBe(1);
    const [notice] = await notices();
    expect(notice?.data).toMatchObject({
      to: adminEmail,
      data: { endpointUrl: receiver.url("/down"), tenantName: "Test tenant" },
    });

    // Nothing more is sent to it: the attempts stop growing while other endpoints are served.
    const tried = receiver.received.filter((item) => item.path === "/down").length;
    const [{ failures } = { failures: 0 }] = await sql<{ failures: number }[]>`
      select count(*)::int as failures from webhook_attempts where endpoint_id = ${endpoint.id}`;
    expect(failures).toBeGreaterThanOrEqual(2);
    const probe = await registerEndpoint(deps, tenantId, receiver.url("/probe"));
    await recordEvents(sql, tenantId, [{ type: "task.created", data: {} }]);
    await receiver.until((all) => all.some((item) => item.path === "/probe"), "the probe");
    await receiver.until(() => true, "a moment");
    expect(receiver.received.filter((item) => item.path === "/down").length).toBeLessThanOrEqual(
      tried + 1,
    );
    expect(probe.id).toBeTruthy();
  });
});
