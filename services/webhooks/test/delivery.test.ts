import { appendEvents, eventTypes } from "@oryn/shared";
import type { Job } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { deliverOnce } from "../src/delivery/deliver.ts";
import {
  attemptsOf,
  recordEvents,
  registerEndpoint,
  tenantWithAdmin,
  webhooksInProcess,
} from "./fixtures.ts";
import { startReceiver } from "./receiver.ts";

const webhooks = await webhooksInProcess({ WEBHOOKS_TIMEOUT_MS: "2000" });
const receiver = await startReceiver();
afterAll(async () => {
  await webhooks.close();
  await receiver.close();
});
const { sql, deps } = webhooks;

const arrivals = (path: string) => receiver.received.filter((item) => item.path === path);

describe("deliveries", () => {
  it("every event type arrives once, signed so that standardwebhooks verifies it, with the log's payload", async () => {
    const { tenantId } = await tenantWithAdmin(sql);
    const endpoint = await registerEndpoint(deps, tenantId, receiver.url("/all"));
    receiver.trust(endpoint.secret);
    await recordEvents(
      sql,
      tenantId,
      eventTypes.map((type) => ({ type, data: { about: type } })),
    );
    await receiver.until(
      (all) => all.filter((item) => item.path === "/all").length >= eventTypes.length,
      "every type",
    );
    const got = arrivals("/all");
    expect(got.map((item) => item.body.type).sort()).toEqual([...eventTypes].sort());
    for (const item of got) {
      expect(item.verifiedBy).toEqual([endpoint.secret]);
      expect(item.id).toBe(item.body.id);
      expect(item.body.tenantId).toBe(tenantId);
      expect(item.body.data).toEqual({ about: item.body.type });
    }
    expect(got.map((item) => item.body.sequence).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
      eventTypes.map((_, index) => index + 1),
    );
    await expect
      .poll(async () => (await attemptsOf(sql, endpoint.id)).length)
      .toBe(eventTypes.length);
    for (const attempt of await attemptsOf(sql, endpoint.id))
      expect(attempt).toMatchObject({ attempt: 1, status: "succeeded", responseStatus: 200 });
  });

  it("only the types an endpoint subscribes to, and only its own tenant's", async () => {
    const mine = await tenantWithAdmin(sql);
    const other = await tenantWithAdmin(sql);
    const endpoint = await registerEndpoint(deps, mine.tenantId, receiver.url("/tasks-only"), [
      "task.created",
    ]);
    await recordEvents(sql, mine.tenantId, [
      { type: "project.created", data: { n: 1 } },
      { type: "task.created", data: { n: 2 } },
    ]);
    await recordEvents(sql, other.tenantId, [{ type: "task.created", data: { n: 3 } }]);
    await receiver.until((all) => all.some((item) => item.path === "/tasks-only"), "a task event");
    await expect
      .poll(
        async () =>
          (
            await sql`select 1 from events where dispatched_at is null and tenant_id in (${mine.tenantId}, ${other.tenantId})`
          ).length,
      )
      .toBe(0);
    expect(arrivals("/tasks-only").map((item) => item.body.data)).toEqual([{ n: 2 }]);
    expect(endpoint.id).toBeTruthy();
  });

  it("retries after 500s and after a timeout, with the same webhook-id, and logs each attempt", async () => {
    const { tenantId } = await tenantWithAdmin(sql);
    receiver.answer("/flaky", (count) => (count <= 2 ? 500 : 204));
    receiver.answer("/slow", (count) => (count === 1 ? "hang" : 200));
    const flaky = await registerEndpoint(deps, tenantId, receiver.url("/flaky"));
    const slow = await registerEndpoint(deps, tenantId, receiver.url("/slow"));
    await recordEvents(sql, tenantId, [{ type: "project.created", data: { name: "retry me" } }]);
    await receiver.until(
      (all) => all.filter((item) => item.path === "/flaky").length >= 3,
      "three tries",
    );
    await receiver.until(
      (all) => all.filter((item) => item.path === "/slow").length >= 2,
      "two tries",
    );
    expect(new Set(arrivals("/flaky").map((item) => item.id)).size).toBe(1);
    expect(new Set(arrivals("/slow").map((item) => item.id)).size).toBe(1);
    await expect.poll(async () => (await attemptsOf(sql, flaky.id)).length).toBe(3);
    expect(
      (await attemptsOf(sql, flaky.id)).map((a) => [a.attempt, a.status, a.responseStatus]),
    ).toEqual([
      [1, "failed", 500],
      [2, "failed", 500],
      [3, "succeeded", 204],
    ]);
    expect((await attemptsOf(sql, flaky.id))[0]?.responseExcerpt).toBe("answer 500 to /flaky");
    await expect.poll(async () => (await attemptsOf(sql, slow.id)).length).toBe(2);
    const [timedOut, succeeded] = await attemptsOf(sql, slow.id);
    expect(timedOut).toMatchObject({ attempt: 1, status: "failed", responseStatus: null });
    expect(timedOut?.responseExcerpt).toMatch(/^timeout/);
    expect(succeeded).toMatchObject({ attempt: 2, status: "succeeded" });
  });

  it("a redirect is a failed attempt and is not followed", async () => {
    const { tenantId } = await tenantWithAdmin(sql);
    receiver.answer("/moved", (count) => (count === 1 ? 302 : 200));
    const endpoint = await registerEndpoint(deps, tenantId, receiver.url("/moved"));
    await recordEvents(sql, tenantId, [{ type: "project.created", data: {} }]);
    await receiver.until(
      (all) => all.filter((item) => item.path === "/moved").length >= 2,
      "the retry",
    );
    expect(arrivals("/elsewhere")).toHaveLength(0);
    const [first] = await attemptsOf(sql, endpoint.id);
    expect(first).toMatchObject({ status: "failed", responseStatus: 302 });
    expect(first?.responseExcerpt).toMatch(/^redirect not followed/);
  });

  it("after a rotation both secrets sign, in one header; a receiver with either verifies", async () => {
    const { tenantId } = await tenantWithAdmin(sql);
    const endpoint = await registerEndpoint(deps, tenantId, receiver.url("/rotated"));
    receiver.trust(endpoint.secret);
    const { newWebhookSecret, sealWebhookSecret } = await import("@oryn/shared");
    const fresh = newWebhookSecret();
    // What POST /v1/webhook-endpoints/{id}/rotate-secret does.
    await sql`update webhook_endpoints set
      previous_secret_ciphertext = secret_ciphertext,
      previous_secret_expires_at = now() + interval '24 hours',
      secret_ciphertext = ${sealWebhookSecret(deps.secretsKey, endpoint.id, fresh)}
      where id = ${endpoint.id}`;
    receiver.trust(fresh);
    await recordEvents(sql, tenantId, [{ type: "project.updated", data: {} }]);
    await receiver.until((all) => all.some((item) => item.path === "/rotated"), "the delivery");
    const [item] = arrivals("/rotated");
    expect(item?.signature.split(" ")).toHaveLength(2);
    expect(item?.verifiedBy.sort()).toEqual([endpoint.secret, fresh].sort());

    // Once the 24 hours are over, only the new one signs.
    await sql`update webhook_endpoints set previous_secret_expires_at = now() - interval '1 second'
      where id = ${endpoint.id}`;
    await recordEvents(sql, tenantId, [{ type: "project.deleted", data: {} }]);
    await receiver.until(
      (all) => all.filter((i) => i.path === "/rotated").length >= 2,
      "the second",
    );
    expect(arrivals("/rotated")[1]?.verifiedBy).toEqual([fresh]);
  });

  it("a paused endpoint receives nothing until it is enabled again, then everything it missed", async () => {
    const { tenantId } = await tenantWithAdmin(sql);
    const endpoint = await registerEndpoint(deps, tenantId, receiver.url("/paused"));
    await sql`update webhook_endpoints set status = 'paused' where id = ${endpoint.id}`;
    await recordEvents(sql, tenantId, [
      { type: "project.created", data: { n: 1 } },
      { type: "project.created", data: { n: 2 } },
    ]);
    await expect
      .poll(
        async () =>
          (
            await sql`select 1 from webhook_deliveries where endpoint_id = ${endpoint.id} and enqueued_at is null`
          ).length,
      )
      .toBe(2);
    // A ping to another path of this receiver proves the worker ran meanwhile.
    const probe = await registerEndpoint(deps, tenantId, receiver.url("/probe"));
    await recordEvents(sql, tenantId, [{ type: "task.created", data: {} }]);
    await receiver.until((all) => all.some((item) => item.path === "/probe"), "the probe");
    expect(arrivals("/paused")).toHaveLength(0);
    expect(probe.id).toBeTruthy();

    await sql`update webhook_endpoints set status = 'enabled' where id = ${endpoint.id}`;
    await receiver.until(
      (all) => all.filter((item) => item.path === "/paused").length >= 3,
      "the backlog",
    );
    expect(
      arrivals("/paused")
        .map((item) => item.body.sequence)
        .sort(),
    ).toEqual([1, 2, 3]);
  });

  it("a crash between commit and hand-over loses nothing: unhanded and stale deliveries are found", async () => {
    const { tenantId } = await tenantWithAdmin(sql);
    const endpoint = await registerEndpoint(deps, tenantId, receiver.url("/found"));
    // An event and its delivery as a dispatcher killed after its UPDATE, before enqueueing,
    // leaves them: marked handed over, with no job anywhere.
    // Marked dispatched in the same transaction: the file's running dispatcher must never see
    // it undispatched (it would fan it out first, and the insert below would be a duplicate).
    await sql.begin(async (tx) => {
      const { appendEvents } = await import("@oryn/shared");
      await appendEvents(tx, tenantId, [{ type: "project.created", data: { lost: true } }]);
      await tx`update events set dispatched_at = now() where tenant_id = ${tenantId}`;
    });
    const [event] = await sql<
      { id: string }[]
    >`select id from events where tenant_id = ${tenantId}`;
    await sql`insert into webhook_deliveries (tenant_id, endpoint_id, event_id, reason, enqueued_at, next_attempt_at)
      values (${tenantId}, ${endpoint.id}, ${event?.id ?? ""}, 'event', now() - interval '2 hours', now() - interval '2 hours')`;
    const { enqueueOwed } = await import("../src/dispatch/dispatcher.ts");
    expect(await enqueueOwed(deps, { staleAfterMs: 60_000 })).toBe(1);
    await receiver.until((all) => all.some((item) => item.path === "/found"), "the found delivery");
    expect(arrivals("/found")[0]?.id).toBe(event?.id);
  });

  it("an endpoint deleted during an attempt (its tenant's deletion): the job ends quietly, no retry", async () => {
    const { tenantId } = await tenantWithAdmin(sql);
    receiver.answer("/vanishing", "hang");
    const endpoint = await registerEndpoint(deps, tenantId, receiver.url("/vanishing"));
    // An event and its delivery that this test's own call attempts: marked dispatched and
    // handed over, so the file's running dispatcher leaves them alone.
    await sql.begin(async (tx) => {
      await appendEvents(tx, tenantId, [{ type: "member.added", data: { email: "m@x.test" } }]);
      await tx`update events set dispatched_at = now() where tenant_id = ${tenantId}`;
    });
    const [delivery] = await sql<{ id: string }[]>`
      insert into webhook_deliveries (tenant_id, endpoint_id, event_id, reason, enqueued_at, next_attempt_at)
      select ${tenantId}, ${endpoint.id}, id, 'event', now(), now() + interval '1 hour'
      from events where tenant_id = ${tenantId} returning id`;
    const deliveryId = delivery?.id ?? "";
    const payload = { deliveryId, attempt: 1, enqueuedAt: Date.now() };
    const job = { id: `vanishing-${deliveryId}` } as Job;
    const attempt = deliverOnce(deps, payload, job, "token");
    await receiver.until((all) => all.some((item) => item.path === "/vanishing"), "the attempt");
    // The deletion's end_access, while the receiver holds the request: the endpoint goes, and
    // its delivery with it; the attempt times out after.
    await sql`delete from webhook_endpoints where tenant_id = ${tenantId}`;
    await expect(attempt).resolves.toBeUndefined();
    expect(await sql`select 1 from webhook_attempts where tenant_id = ${tenantId}`).toHaveLength(0);
    // No retry was queued for it, and a job of it arriving late finds nothing and does nothing.
    const queued = await deps.queues.get("webhooks").getJobs(["delayed", "waiting", "active"]);
    expect(queued.filter((queuedJob) => queuedJob.data?.deliveryId === deliveryId)).toEqual([]);
    await expect(
      deliverOnce(deps, { ...payload, attempt: 2 }, job, "token"),
    ).resolves.toBeUndefined();
    expect(arrivals("/vanishing")).toHaveLength(1);
  });
});
