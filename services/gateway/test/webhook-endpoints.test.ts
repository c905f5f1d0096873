import { randomBytes } from "node:crypto";
import { appendEvents, openWebhookSecret, webhookSecretsKey } from "@oryn/shared";
import { testRun } from "@oryn/testing/context";
import { verifyQueuedEmail } from "@oryn/testing/queued-mail";
import { afterAll, describe, expect, it } from "vitest";
import { gatewayInProcess, uniqueSignup } from "./fixtures.ts";

const gateway = await gatewayInProcess({ TRUST_PROXY: "true" });
afterAll(() => gateway.close());
const sql = gateway.deps.sql;

const headers = () => ({ "x-forwarded-for": `10.${[...randomBytes(3)].join(".")}` });
const call = (method: string, path: string, options: { token?: string; body?: unknown } = {}) =>
  gateway.call(method, path, { ...options, headers: headers() });

async function owner(): Promise<{ token: string; tenantId: string }> {
  const body = uniqueSignup();
  const answer = await call("POST", "/v1/signup", { body });
  expect(answer.status).toBe(202);
  // Only a verified owner creates API keys: the link queued at signup is followed.
  await verifyQueuedEmail(testRun(), call, body.owner.email);
  return { token: answer.json.tokens.accessToken, tenantId: answer.json.tenant.id };
}

const register = (
  token: string,
  body: unknown = { url: "https://hooks.example.test/a", events: ["*"] },
) => call("POST", "/v1/webhook-endpoints", { token, body });

describe("webhook endpoints", () => {
  it("register shows the secret once and stores it sealed; list, get, edit, pause and delete", async () => {
    const { token } = await owner();
    const created = await register(token, {
      url: "https://hooks.example.test/orders",
      events: ["project.created", "task.updated"],
      description: "Orders",
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      url: "https://hooks.example.test/orders",
      events: ["project.created", "task.updated"],
      description: "Orders",
      status: "enabled",
    });
    expect(created.json.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const id = created.json.id;

    const [row] = await sql<{ secretCiphertext: Buffer }[]>`
      select secret_ciphertext from webhook_endpoints where id = ${id}`;
    if (!row) throw new Error("the endpoint is stored");
    expect(row.secretCiphertext.includes(Buffer.from(created.json.secret))).toBe(false);
    expect(openWebhookSecret(gateway.deps.webhooks.key, id, row.secretCiphertext)).toBe(
      created.json.secret,
    );
    // Bound to its endpoint: the same ciphertext on another row does not open.
    expect(() =>
      openWebhookSecret(gateway.deps.webhooks.key, crypto.randomUUID(), row.secretCiphertext),
    ).toThrow();

    const got = await call("GET", `/v1/webhook-endpoints/${id}`, { token });
    expect(got.status).toBe(200);
    expect(got.json.secret).toBeUndefined();
    const listed = await call("GET", "/v1/webhook-endpoints", { token });
    expect(listed.json.items.map((item: { id: string }) => item.id)).toEqual([id]);
    expect(listed.json.items[0].secret).toBeUndefined();

    const paused = await call("PATCH", `/v1/webhook-endpoints/${id}`, {
      token,
      body: { status: "paused", events: ["*"] },
    });
    expect(paused.status).toBe(200);
    expect(paused.json).toMatchObject({ status: "paused", events: ["*"], description: "Orders" });

    expect((await call("DELETE", `/v1/webhook-endpoints/${id}`, { token })).status).toBe(204);
    expect((await call("GET", `/v1/webhook-endpoints/${id}`, { token })).status).toBe(404);
  });

  it("refuses bad input with 422 and changes nothing", async () => {
    const { token } = await owner();
    for (const body of [
      { url: "ftp://hooks.example.test/a", events: ["*"] },
      { url: "https://user:pw@hooks.example.test/a", events: ["*"] },
      { url: "not a url", events: ["*"] },
      { url: "https://hooks.example.test/a\u0000b", events: ["*"] },
      { url: "https://hooks.example.test/a b", events: ["*"] },
      { url: "https://hooks.example.test/a", events: [] },
      { url: "https://hooks.example.test/a", events: ["project.exploded"] },
      { url: "https://hooks.example.test/a", events: ["*", "*"] },
    ]) {
      const answer = await register(token, body);
      expect(answer.status, JSON.stringify(body)).toBe(422);
      expect(answer.json.code).toBe("validation_failed");
    }
    const created = await register(token);
    const refused = await call("PATCH", `/v1/webhook-endpoints/${created.json.id}`, {
      token,
      body: { status: "disabled" },
    });
    expect(refused.status).toBe(422);
    expect((await call("GET", "/v1/webhook-endpoints", { token })).json.items).toHaveLength(1);
  });

  it("rotation keeps the old secret signing for 24 hours; ping and replay owe deliveries", async () => {
    const { token, tenantId } = await owner();
    const created = await register(token);
    const id = created.json.id;
    const rotated = await call("POST", `/v1/webhook-endpoints/${id}/rotate-secret`, { token });
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).not.toBe(created.json.secret);
    const [row] = await sql<
      { secretCiphertext: Buffer; previousSecretCiphertext: Buffer; hoursLeft: number }[]
    >`select secret_ciphertext, previous_secret_ciphertext,
        extract(epoch from previous_secret_expires_at - now()) / 3600 as hours_left
      from webhook_endpoints where id = ${id}`;
    const key = webhookSecretsKey(gateway.deps.config);
    expect(openWebhookSecret(key, id, row?.secretCiphertext as Buffer)).toBe(rotated.json.secret);
    expect(openWebhookSecret(key, id, row?.previousSecretCiphertext as Buffer)).toBe(
      created.json.secret,
    );
    expect(Number(row?.hoursLeft)).toBeGreaterThan(23.9);

    expect((await call("POST", `/v1/webhook-endpoints/${id}/ping`, { token })).status).toBe(202);
    await sql.begin((tx) =>
      appendEvents(tx, tenantId, [
        { type: "project.created", data: { id: "one" }, occurredAt: new Date("2026-01-01") },
        { type: "project.created", data: { id: "two" }, occurredAt: new Date("2026-02-01") },
      ]),
    );
    const replayed = await call("POST", `/v1/webhook-endpoints/${id}/replay`, {
      token,
      body: { since: "2026-01-15T00:00:00Z" },
    });
    expect(replayed.status).toBe(202);
    const owed = await sql<{ reason: string; type: string }[]>`
      select d.reason, e.type from webhook_deliveries d join events e on e.id = d.event_id
      where d.endpoint_id = ${id} order by d.reason`;
    expect(owed).toEqual([
      { reason: "ping", type: "ping" },
      { reason: "replay", type: "project.created" },
    ]);
    const deliveries = await call("GET", `/v1/webhook-endpoints/${id}/deliveries`, { token });
    expect(deliveries.status).toBe(200);
    expect(deliveries.json).toEqual({ items: [], nextCursor: null });
  });

  it("retries one event by hand; another tenant's event, an unknown id or a mixed body changes nothing", async () => {
    const { token, tenantId } = await owner();
    const other = await owner();
    const id = (await register(token)).json.id;
    for (const tenant of [tenantId, other.tenantId]) {
      await sql.begin((tx) =>
        appendEvents(tx, tenant, [{ type: "project.created", data: { tenant } }]),
      );
    }
    const eventOf = async (tenant: string) =>
      (await sql<{ id: string }[]>`select id from events where tenant_id = ${tenant}`)[0]?.id;
    const mine = await eventOf(tenantId);
    const theirs = await eventOf(other.tenantId);
    const owed = () =>
      sql<{ eventId: string; reason: string }[]>`
        select event_id, reason from webhook_deliveries where endpoint_id = ${id}`;
    const before = await owed();

    for (const [body, status] of [
      [{ eventId: theirs }, 404],
      [{ eventId: crypto.randomUUID() }, 404],
      [{ eventId: mine, since: "2026-01-01T00:00:00Z" }, 422],
      [{}, 422],
      [{ eventId: "not-a-uuid" }, 422],
    ] as const) {
      const refused = await call("POST", `/v1/webhook-endpoints/${id}/replay`, { token, body });
      expect(refused.status, JSON.stringify(body)).toBe(status);
      expect(refused.headers.get("content-type")).toContain("application/problem+json");
    }
    expect(await owed()).toEqual(before);

    const retried = await call("POST", `/v1/webhook-endpoints/${id}/replay`, {
      token,
      body: { eventId: mine },
    });
    expect(retried.status).toBe(202);
    expect((await owed()).filter((row) => row.reason === "replay")).toEqual([
      { eventId: mine, reason: "replay" },
    ]);
  });

  it("GET /v1/events pages the tenant's own events in sequence order; pings are not listed", async () => {
    const { token, tenantId } = await owner();
    const other = await owner();
    await sql.begin((tx) =>
      appendEvents(
        tx,
        tenantId,
        ["a", "b", "c"].map((name) => ({ type: "project.created", data: { name } })),
      ),
    );
    await sql.begin((tx) =>
      appendEvents(tx, other.tenantId, [{ type: "project.created", data: { name: "other" } }]),
    );
    const endpoint = await register(token);
    await call("POST", `/v1/webhook-endpoints/${endpoint.json.id}/ping`, { token });

    const first = await call("GET", "/v1/events?limit=2", { token });
    expect(first.status).toBe(200);
    expect(first.json.items.map((event: { sequence: number }) => event.sequence)).toEqual([1, 2]);
    expect(first.json.items[0]).toMatchObject({
      type: "project.created",
      tenantId,
      data: { name: "a" },
    });
    expect(first.json.nextCursor).toBe("2");
    const rest = await call("GET", `/v1/events?after=${first.json.nextCursor}`, { token });
    expect(rest.json.items.map((event: { data: { name: string } }) => event.data.name)).toEqual([
      "c",
    ]);
    expect(rest.json.nextCursor).toBeNull();
    expect((await call("GET", "/v1/events?after=-1", { token })).status).toBe(422);
  });

  it("the gateway's own changes are events in the same transaction: API keys, roles, members", async () => {
    const { token, tenantId } = await owner();
    const key = await call("POST", "/v1/api-keys", { token, body: { name: "CI", role: "member" } });
    expect(key.status).toBe(201);
    expect((await call("DELETE", `/v1/api-keys/${key.json.id}`, { token })).status).toBe(204);
    // Refused (a role above the caller's is impossible for an owner, so: a bad id) records none.
    expect((await call("DELETE", `/v1/api-keys/${crypto.randomUUID()}`, { token })).status).toBe(
      404,
    );
    const events = await call("GET", "/v1/events", { token });
    expect(events.json.items.map((event: { type: string }) => event.type)).toEqual([
      "api_key.created",
      "api_key.revoked",
    ]);
    const { key: _, ...shown } = key.json;
    expect(events.json.items[0].data).toEqual(shown);
    expect(events.json.items[1].data).toMatchObject({ id: key.json.id, role: "member" });
    expect(events.json.items[0].tenantId).toBe(tenantId);
  });

  it("the event catalogue is in the OpenAPI document's webhooks", async () => {
    const document = await gateway.call("GET", "/openapi.json");
    expect(Object.keys(document.json.webhooks ?? {})).toEqual(
      expect.arrayContaining(["project.created", "task.deleted", "tenant.plan_changed", "ping"]),
    );
    expect(document.json.webhooks["project.created"].post.requestBody).toBeDefined();
  });
});
