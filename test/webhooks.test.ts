/**
 * Webhooks end to end, every service a real process: a change through the gateway becomes an
 * event in workspace's outbox, the control plane's log, and a signed delivery that a receiver
 * verifies with the `standardwebhooks` package; GET /v1/events pulls the same payloads.
 */

import { jsonCaller } from "@oryn/testing/http";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { joinTenant } from "@oryn/testing/populated-tenant";
import type { Oryn } from "@oryn/testing/processes";
import { verifyQueuedEmail } from "@oryn/testing/queued-mail";
import { signUpAndWait } from "@oryn/testing/wait";
import { startWebhooksStack } from "@oryn/testing/webhooks-stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver } from "../services/webhooks/test/receiver.ts";

let oryn: Oryn;
// A control plane of its own: the webhooks service's dispatcher turns every event of its control
// plane into deliveries for the tenant's endpoints. On the run's shared one it took the events of
// other files' tenants too (services/gateway/test/webhook-endpoints.test.ts counts the deliveries
// of its endpoints, and expects none attempted) whenever the two files ran at the same time.
const run = await isolatedRun("webhooks");
const receiver = await startReceiver();
const call = jsonCaller((path, init) => fetch(`${oryn.gatewayUrl}${path}`, init));

beforeAll(async () => {
  oryn = await startWebhooksStack(run);
});
afterAll(async () => {
  await oryn?.stop();
  await receiver.close();
  await run.drop();
});

describe("webhooks through every service", () => {
  it("project changes arrive signed, in sequence, with the same payloads GET /v1/events lists", async () => {
    const { token, tenantId } = await signUpAndWait(call, { intervalMs: 50 });
    const registered = await call("POST", "/v1/webhook-endpoints", {
      token,
      body: {
        url: receiver.url("/e2e"),
        events: ["project.created", "project.updated", "project.deleted"],
      },
    });
    expect(registered.status).toBe(201);
    receiver.trust(registered.json.secret);

    const project = await call("POST", "/v1/projects", { token, body: { name: "Hermes" } });
    expect(project.status).toBe(201);
    const renamed = await call("PATCH", `/v1/projects/${project.json.id}`, {
      token,
      body: { name: "Mercury" },
    });
    expect(renamed.status).toBe(200);
    expect((await call("DELETE", `/v1/projects/${project.json.id}`, { token })).status).toBe(204);

    await receiver.until(
      (all) => all.filter((item) => item.path === "/e2e").length >= 3,
      "three project events",
    );
    const delivered = receiver.received
      .filter((item) => item.path === "/e2e")
      .sort((a, b) => (a.body.sequence ?? 0) - (b.body.sequence ?? 0));
    expect(delivered.map((item) => item.body.type)).toEqual([
      "project.created",
      "project.updated",
      "project.deleted",
    ]);
    for (const item of delivered) {
      expect(item.verifiedBy).toEqual([registered.json.secret]);
      expect(item.body.tenantId).toBe(tenantId);
    }
    expect(delivered[0]?.body.data).toEqual(project.json);
    expect(delivered[1]?.body.data).toEqual(renamed.json);

    const pulled = await call("GET", "/v1/events", { token });
    expect(pulled.status).toBe(200);
    expect(pulled.json.items).toEqual(delivered.map((item) => item.body));
    expect(pulled.json.items[1].previous).toMatchObject({ name: "Hermes" });

    // The attempts are listed; a ping reaches this endpoint; a replay sends the same ids again.
    const id = registered.json.id;
    await expect
      .poll(
        async () =>
          (await call("GET", `/v1/webhook-endpoints/${id}/deliveries`, { token })).json.items
            .length,
      )
      .toBe(3);
    const attempts = await call("GET", `/v1/webhook-endpoints/${id}/deliveries?status=succeeded`, {
      token,
    });
    expect(attempts.json.items[0]).toMatchObject({
      attempt: 1,
      status: "succeeded",
      responseStatus: 200,
    });
    expect((await call("POST", `/v1/webhook-endpoints/${id}/ping`, { token })).status).toBe(202);
    await receiver.until((all) => all.some((item) => item.body.type === "ping"), "the ping");
    const replay = await call("POST", `/v1/webhook-endpoints/${id}/replay`, {
      token,
      body: { since: new Date(Date.now() - 3600_000).toISOString() },
    });
    expect(replay.status).toBe(202);
    await receiver.until(
      (all) => all.filter((item) => item.path === "/e2e" && item.body.type !== "ping").length >= 6,
      "the replayed three",
    );
    const ids = receiver.received
      .filter((item) => item.path === "/e2e" && item.body.type !== "ping")
      .map((item) => item.id);
    expect(new Set(ids).size).toBe(3);
  });

  it("the gateway's member changes are events too: invitation accepted, member added, role changed, removed", async () => {
    const { token, tenantId, slug } = await signUpAndWait(call, { intervalMs: 50 });
    // Only a verified owner invites: the link queued at signup is followed.
    await verifyQueuedEmail(run, call, `owner@${slug}.test`);
    const joined = await joinTenant(call, token, "member", run);
    const promoted = await call("PATCH", `/v1/members/${joined.userId}`, {
      token,
      body: { role: "admin" },
    });
    expect(promoted.status).toBe(200);
    expect((await call("DELETE", `/v1/members/${joined.userId}`, { token })).status).toBe(204);
    const events = await call("GET", "/v1/events", { token });
    expect(
      events.json.items.map((event: { type: string; sequence: number }) => [
        event.sequence,
        event.type,
      ]),
    ).toEqual([
      [1, "invitation.accepted"],
      [2, "member.added"],
      [3, "member.role_changed"],
      [4, "member.removed"],
    ]);
    expect(events.json.items[1].data).toMatchObject({ userId: joined.userId, role: "member" });
    expect(events.json.items[2].previous).toEqual({ role: "member" });
    expect(events.json.items[2].data).toMatchObject({ userId: joined.userId, role: "admin" });
    for (const event of events.json.items) expect(event.tenantId).toBe(tenantId);
  });
});
