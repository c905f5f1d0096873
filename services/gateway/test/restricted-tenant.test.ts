import { randomBytes } from "node:crypto";
import { testRun } from "@oryn/testing/context";
import { invitationToken, verifyQueuedEmail } from "@oryn/testing/queued-mail";
import { afterAll, describe, expect, it } from "vitest";
import { gatewayInProcess, password, uniqueSignup } from "./fixtures.ts";

const gateway = await gatewayInProcess();
afterAll(() => gateway.close());
const { sql } = gateway.deps;
const call = gateway.call;

describe("a restricted (unpaid) tenant at the gateway", () => {
  it("gives no new access: no invitations, API keys or role changes, and nothing changes", async () => {
    const body = uniqueSignup();
    const signup = await call("POST", "/v1/signup", { body });
    await verifyQueuedEmail(testRun(), call, body.owner.email);
    const owner = signup.json.tokens.accessToken as string;
    const invited = await call("POST", "/v1/invitations", {
      token: owner,
      body: { email: `m-${randomBytes(4).toString("hex")}@example.test`, role: "member" },
    });
    const accepted = await call("POST", "/v1/invitations/accept", {
      body: { token: await invitationToken(testRun(), invited), name: "Member", password },
    });
    const memberId = JSON.parse(
      Buffer.from(accepted.json.accessToken.split(".")[1], "base64url").toString(),
    ).sub as string;
    const key = await call("POST", "/v1/api-keys", {
      token: owner,
      body: { name: "before", role: "member" },
    });
    expect(key.status).toBe(201);
    const pending = await call("POST", "/v1/invitations", {
      token: owner,
      body: { email: `p-${randomBytes(4).toString("hex")}@example.test`, role: "member" },
    });

    await sql`update tenants set status = 'restricted' where id = ${signup.json.tenant.id}`;
    const refusals = [
      await call("POST", "/v1/invitations", {
        token: owner,
        body: { email: "someone@example.test", role: "member" },
      }),
      await call("POST", `/v1/invitations/${pending.json.id}/resend`, { token: owner }),
      await call("POST", "/v1/api-keys", { token: owner, body: { name: "new", role: "member" } }),
      await call("PATCH", `/v1/members/${memberId}`, { token: owner, body: { role: "admin" } }),
    ];
    for (const answer of refusals) {
      expect([answer.status, answer.json.code]).toEqual([403, "tenant_restricted"]);
    }
    const [counts] = await sql`
      select (select count(*)::int from invitations where tenant_id = ${signup.json.tenant.id}) as invitations,
             (select count(*)::int from api_keys where tenant_id = ${signup.json.tenant.id}) as keys,
             (select role from memberships where user_id = ${memberId}) as role`;
    expect(counts).toEqual({ invitations: 2, keys: 1, role: "member" });
    // Reads, and taking access away, still work.
    expect((await call("GET", "/v1/members", { token: owner })).status).toBe(200);
    expect((await call("DELETE", `/v1/api-keys/${key.json.id}`, { token: owner })).status).toBe(
      204,
    );
  });
});
