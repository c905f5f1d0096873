import { randomBytes, randomUUID } from "node:crypto";
import { testRun } from "@oryn/testing/context";
import { invitationToken, verifyQueuedEmail } from "@oryn/testing/queued-mail";
import { enrolTotp } from "@oryn/testing/totp";
import { afterAll, describe, expect, it } from "vitest";
import { gatewayInProcess, password, uniqueSignup } from "./fixtures.ts";

// Upstreams are not started: a forwarded route the policy lets through answers 503, one it
// stops answers 403 before anything is forwarded.
const gateway = await gatewayInProcess({ TRUSTED_PROXIES: "loopback" });
afterAll(() => gateway.close());
const { call } = gateway;
const { sql } = gateway.deps;

async function signUp() {
  const body = uniqueSignup();
  const answer = await call("POST", "/v1/signup", {
    body,
    headers: { "x-forwarded-for": `198.18.0.${randomBytes(1)[0]}` },
  });
  expect(answer.status).toBe(202);
  // Only a verified owner invites or creates keys: the link queued at signup is followed.
  await verifyQueuedEmail(testRun(), call, body.owner.email);
  return { email: body.owner.email, token: answer.json.tokens.accessToken as string, answer };
}

const enrol = (token: string) => enrolTotp(call, token);

/** A member of the owner's tenant, joined through an invitation. */
async function joinAsMember(ownerToken: string) {
  const email = `member-${randomBytes(4).toString("hex")}@example.test`;
  const invitation = await call("POST", "/v1/invitations", {
    token: ownerToken,
    body: { email, role: "member" },
  });
  expect(invitation.status).toBe(201);
  const accepted = await call("POST", "/v1/invitations/accept", {
    body: { token: await invitationToken(testRun(), invitation), name: "Member", password },
  });
  expect(accepted.status).toBe(200);
  return accepted.json.accessToken as string;
}

describe("PATCH /v1/tenant {mfaRequired}", () => {
  it("needs the owner to have MFA on first, and a person: a member, an API key and bad bodies are refused, changing nothing", async () => {
    const owner = await signUp();
    const tenantId = owner.answer.json.tenant.id;
    const member = await joinAsMember(owner.token);
    const key = await call("POST", "/v1/api-keys", {
      token: owner.token,
      body: { name: "robot", role: "owner" },
    });
    const refusals = [
      ["owner without MFA", owner.token, { mfaRequired: true }, 403, "mfa_required"],
      ["member", member, { mfaRequired: true }, 403, "forbidden"],
      ["owner's API key", key.json.key, { mfaRequired: true }, 403, "forbidden"],
      ["a string", owner.token, { mfaRequired: "yes" }, 422, "validation_failed"],
      ["nothing", owner.token, {}, 422, "validation_failed"],
    ] as const;
    for (const [what, token, body, status, code] of refusals) {
      const answer = await call("PATCH", "/v1/tenant", { token, body });
      expect(answer.status, what).toBe(status);
      expect(answer.json.code, what).toBe(code);
    }
    const [before] = await sql`select mfa_required from tenants where id = ${tenantId}`;
    expect(before?.mfaRequired).toBe(false);

    await enrol(owner.token);
    const on = await call("PATCH", "/v1/tenant", {
      token: owner.token,
      body: { mfaRequired: true },
    });
    expect(on.status).toBe(200);
    expect(on.json).toMatchObject({ id: tenantId, mfaRequired: true });
    const [audit] = await sql`
      select data from audit_events where tenant_id = ${tenantId} and action = 'tenant_updated'`;
    expect(audit?.data).toEqual({ before: { mfaRequired: false }, after: { mfaRequired: true } });
  });
});

describe("a tenant that requires MFA", () => {
  it("answers 403 mfa_required to a member without it everywhere but /v1/me and /v1/auth, forwarded routes included, until they enrol", async () => {
    const owner = await signUp();
    const member = await joinAsMember(owner.token);
    await enrol(owner.token);
    expect(
      (await call("PATCH", "/v1/tenant", { token: owner.token, body: { mfaRequired: true } }))
        .status,
    ).toBe(200);

    for (const [method, path] of [
      ["GET", "/v1/tenant"],
      ["GET", "/v1/members"],
      ["GET", "/v1/projects"],
      ["POST", "/v1/projects"],
      ["GET", "/v1/billing/subscription"],
      ["GET", "/v1/audit-log"],
      ["GET", "/v1/meetings"],
    ] as const) {
      const answer = await call(method, path, {
        token: member,
        body: method === "POST" ? {} : undefined,
      });
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.json.code, `${method} ${path}`).toBe("mfa_required");
    }
    // Their own account stays open: sessions, and enrolling.
    expect((await call("GET", "/v1/me/sessions", { token: member })).status).toBe(200);
    // The owner, who has MFA, is let through; a forwarded route then reaches for its upstream.
    expect((await call("GET", "/v1/tenant", { token: owner.token })).status).toBe(200);
    expect((await call("GET", "/v1/projects", { token: owner.token })).status).toBe(503);

    await enrol(member);
    expect((await call("GET", "/v1/tenant", { token: member })).status).toBe(200);
    expect((await call("GET", "/v1/projects", { token: member })).status).toBe(503);
  });

  it("does not ask API keys, which are not people", async () => {
    const owner = await signUp();
    const key = await call("POST", "/v1/api-keys", {
      token: owner.token,
      body: { name: "robot", role: "member" },
    });
    await enrol(owner.token);
    await call("PATCH", "/v1/tenant", { token: owner.token, body: { mfaRequired: true } });
    expect((await call("GET", "/v1/members", { token: key.json.key })).status).toBe(200);
  });
});

describe("what only a person may do (issue 21: an owner API key)", () => {
  it("refuses an owner's API key deleting the tenant or downloading an export, and changes nothing", async () => {
    const owner = await signUp();
    const { tenant } = owner.answer.json;
    const key = await call("POST", "/v1/api-keys", {
      token: owner.token,
      body: { name: "owner robot", role: "owner" },
    });
    const deleting = await call("DELETE", "/v1/tenant", {
      token: key.json.key,
      body: { confirm: tenant.slug },
    });
    expect(deleting.status).toBe(403);
    expect(deleting.json.code).toBe("forbidden");
    const [row] = await sql`select status from tenants where id = ${tenant.id}`;
    expect(row?.status).toBe("provisioning");
    // Refused before the export is even looked up.
    const download = await call("GET", `/v1/tenant/exports/${randomUUID()}/download`, {
      token: key.json.key,
    });
    expect(download.status).toBe(403);
    expect(download.json.code).toBe("forbidden");
  });
});
