import { randomUUID } from "node:crypto";
import { testRun } from "@oryn/testing/context";
import { queuedMails, verifyQueuedEmail } from "@oryn/testing/queued-mail";
import { afterAll, describe, expect, it } from "vitest";
import { gatewayInProcess, uniqueSignup } from "./fixtures.ts";

const gateway = await gatewayInProcess();
afterAll(() => gateway.close());
const { sql } = gateway.deps;
const call = gateway.call;
const withKey = (key: string) => ({ "idempotency-key": key });

async function verifiedOwner() {
  const body = uniqueSignup();
  const signup = await call("POST", "/v1/signup", { body });
  await verifyQueuedEmail(testRun(), call, body.owner.email);
  return signup.json.tokens.accessToken as string;
}

describe("Idempotency-Key on the gateway's POSTs", () => {
  it("replays a signup: the same tenant, fresh tokens, nothing created twice; another body is 422", async () => {
    const key = randomUUID();
    const body = uniqueSignup();
    const first = await call("POST", "/v1/signup", { body, headers: withKey(key) });
    const again = await call("POST", "/v1/signup", { body, headers: withKey(key) });
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.json.tenant).toEqual(first.json.tenant);
    expect(again.json.user).toEqual(first.json.user);
    expect(again.json.tokens.refreshToken).not.toBe(first.json.tokens.refreshToken);
    const tenant = await call("GET", "/v1/tenant", { token: again.json.tokens.accessToken });
    expect(tenant.json.id).toBe(first.json.tenant.id);
    // The stored answer holds no token.
    const [stored] = await sql`select body::text from idempotency_keys where key = ${key}`;
    expect(stored?.body).not.toContain(first.json.tokens.refreshToken);
    expect(stored?.body).not.toContain("accessToken");
    // One verification mail, not two.
    const mails = await queuedMails(testRun(), { template: "verify-email", to: body.owner.email });
    expect(mails).toHaveLength(1);

    const otherPassword = { ...body, owner: { ...body.owner, password: "another long password" } };
    const reused = await call("POST", "/v1/signup", { body: otherPassword, headers: withKey(key) });
    expect([reused.status, reused.json.code]).toEqual([422, "idempotency_key_reused"]);
  });

  it("replays an invitation without mailing it again", async () => {
    const owner = await verifiedOwner();
    const key = randomUUID();
    const body = { email: `idem-${key.slice(0, 8)}@example.test`, role: "member" };
    const first = await call("POST", "/v1/invitations", {
      token: owner,
      body,
      headers: withKey(key),
    });
    const again = await call("POST", "/v1/invitations", {
      token: owner,
      body,
      headers: withKey(key),
    });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.json).toEqual(first.json);
    expect(again.headers.get("location")).toBe(`/v1/invitations/${first.json.id}`);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await queuedMails(testRun(), { template: "invitation", to: body.email })).toHaveLength(
      1,
    );
    const other = await call("POST", "/v1/invitations", {
      token: owner,
      body: { ...body, role: "admin" },
      headers: withKey(key),
    });
    expect([other.status, other.json.code]).toEqual([422, "idempotency_key_reused"]);
  });

  it("replays an API key's creation with the same key, which is stored nowhere", async () => {
    const owner = await verifiedOwner();
    const key = randomUUID();
    const body = { name: "deploys", role: "admin" };
    const first = await call("POST", "/v1/api-keys", { token: owner, body, headers: withKey(key) });
    const again = await call("POST", "/v1/api-keys", { token: owner, body, headers: withKey(key) });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.json).toEqual(first.json);
    expect(again.json).not.toHaveProperty("keySalt");
    expect((await call("GET", "/v1/members", { token: again.json.key })).status).toBe(200);
    const [stored] = await sql`select body::text from idempotency_keys where key = ${key}`;
    expect(stored?.body).not.toContain(first.json.key);
    const [count] = await sql`select count(*)::int as n from api_keys where name = 'deploys'
      and created_by = ${JSON.parse(Buffer.from(owner.split(".")[1] ?? "", "base64url").toString()).sub}`;
    expect(count?.n).toBe(1);
    // Deleted since: a replay cannot show it again.
    await call("DELETE", `/v1/api-keys/${first.json.id}`, { token: owner });
    const late = await call("POST", "/v1/api-keys", { token: owner, body, headers: withKey(key) });
    expect([late.status, late.json.code]).toEqual([409, "conflict"]);
  });

  it("keeps callers' keys apart, and refuses a malformed key", async () => {
    const [a, b] = [await verifiedOwner(), await verifiedOwner()];
    const key = randomUUID();
    const body = { name: "mine", role: "member" };
    const first = await call("POST", "/v1/api-keys", { token: a, body, headers: withKey(key) });
    const second = await call("POST", "/v1/api-keys", { token: b, body, headers: withKey(key) });
    expect(second.json.id).not.toBe(first.json.id);
    const bad = await call("POST", "/v1/api-keys", {
      token: a,
      body,
      headers: withKey("with space"),
    });
    expect([bad.status, bad.json.code]).toEqual([422, "validation_failed"]);
  });
});
