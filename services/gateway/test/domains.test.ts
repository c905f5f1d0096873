import { randomBytes, randomUUID } from "node:crypto";
import { startDnsServer } from "@oryn/testing/dns-server";
import { afterAll, describe, expect, it } from "vitest";
import { gatewayInProcess, uniqueSignup } from "./fixtures.ts";

// A real DNS server (dns2) on a free UDP port: the gateway reads the proofs from it.
const dns = await startDnsServer();
const gateway = await gatewayInProcess({ TRUST_PROXY: "true", DNS_SERVERS: dns.address });
afterAll(async () => {
  await gateway.close();
  await dns.close();
});
const sql = gateway.deps.sql;

const headers = () => ({ "x-forwarded-for": `10.${[...randomBytes(3)].join(".")}` });
const call = (method: string, path: string, options: { token?: string; body?: unknown } = {}) =>
  gateway.call(method, path, { ...options, headers: headers() });

async function owner(): Promise<{ token: string; tenantId: string }> {
  const answer = await call("POST", "/v1/signup", { body: uniqueSignup() });
  expect(answer.status).toBe(202);
  return { token: answer.json.tokens.accessToken, tenantId: answer.json.tenant.id };
}

const uniqueDomain = () => `acme-${randomUUID().slice(0, 8)}.example`;

describe("verified domains", () => {
  it("a claim shows its TXT record; verify fails without it, with a wrong value, then succeeds", async () => {
    const { token, tenantId } = await owner();
    const domain = uniqueDomain();
    const created = await call("POST", "/v1/domains", {
      token,
      body: { domain: `${domain.toUpperCase()}.` },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      domain,
      status: "pending",
      txtName: `_oryn-verification.${domain}`,
      verifiedAt: null,
    });
    expect(created.json.txtValue).toMatch(/^oryn-verification=[\w-]{32}$/);
    expect(created.headers.get("location")).toBe(`/v1/domains/${created.json.id}`);
    const verifyPath = `/v1/domains/${created.json.id}/verify`;

    const absent = await call("POST", verifyPath, { token });
    expect(absent.status).toBe(409);
    expect(absent.json.code).toBe("domain_not_verified");
    expect(dns.queries).toContain(`_oryn-verification.${domain}`);

    dns.records.set(created.json.txtName, ["v=spf1 -all", "oryn-verification=someone-elses"]);
    const wrong = await call("POST", verifyPath, { token });
    expect(wrong.status).toBe(409);
    expect(wrong.json.code).toBe("domain_not_verified");

    dns.records.set(created.json.txtName, ["v=spf1 -all", created.json.txtValue]);
    const verified = await call("POST", verifyPath, { token });
    expect(verified.status).toBe(200);
    expect(verified.json).toMatchObject({ domain, status: "verified" });
    expect(verified.json.verifiedAt).not.toBeNull();

    const listed = await call("GET", "/v1/domains", { token });
    expect(listed.json.items).toEqual([verified.json]);

    const log = await call("GET", "/v1/security-log?limit=50", { token });
    const domainEvents = log.json.items
      .filter((event: { entity: string }) => event.entity === "domain")
      .map((event: { action: string }) => event.action);
    expect(domainEvents).toEqual(["verified", "created"]);

    expect((await call("DELETE", `/v1/domains/${created.json.id}`, { token })).status).toBe(204);
    expect((await call("GET", "/v1/domains", { token })).json.items).toEqual([]);
    const [audit] = await sql`
      select 1 from audit_events where tenant_id = ${tenantId} and entity = 'domain' and action = 'deleted'`;
    expect(audit).toBeDefined();
  });

  it("two tenants may claim one domain; once one has verified it, the other gets domain_taken", async () => {
    const a = await owner();
    const b = await owner();
    const domain = uniqueDomain();
    const claimA = await call("POST", "/v1/domains", { token: a.token, body: { domain } });
    const claimB = await call("POST", "/v1/domains", { token: b.token, body: { domain } });
    expect(claimA.status).toBe(201);
    expect(claimB.status).toBe(201);
    dns.records.set(`_oryn-verification.${domain}`, [claimA.json.txtValue, claimB.json.txtValue]);
    expect(
      (await call("POST", `/v1/domains/${claimA.json.id}/verify`, { token: a.token })).status,
    ).toBe(200);
    const taken = await call("POST", `/v1/domains/${claimB.json.id}/verify`, { token: b.token });
    expect(taken.status).toBe(409);
    expect(taken.json.code).toBe("domain_taken");

    // Another tenant's claim is not found, to verify or delete.
    expect(
      (await call("POST", `/v1/domains/${claimA.json.id}/verify`, { token: b.token })).status,
    ).toBe(404);
    expect((await call("DELETE", `/v1/domains/${claimA.json.id}`, { token: b.token })).status).toBe(
      404,
    );
    // Once A gives it up, B can verify it.
    expect((await call("DELETE", `/v1/domains/${claimA.json.id}`, { token: a.token })).status).toBe(
      204,
    );
    expect(
      (await call("POST", `/v1/domains/${claimB.json.id}/verify`, { token: b.token })).status,
    ).toBe(200);
  });

  it("a tenant being deleted keeps no domain: another tenant's proof takes it", async () => {
    const a = await owner();
    const b = await owner();
    const domain = uniqueDomain();
    const claimA = await call("POST", "/v1/domains", { token: a.token, body: { domain } });
    const claimB = await call("POST", "/v1/domains", { token: b.token, body: { domain } });
    dns.records.set(`_oryn-verification.${domain}`, [claimA.json.txtValue, claimB.json.txtValue]);
    expect(
      (await call("POST", `/v1/domains/${claimA.json.id}/verify`, { token: a.token })).status,
    ).toBe(200);
    await sql`update tenants set status = 'deleting' where id = ${a.tenantId}`;
    const taken = await call("POST", `/v1/domains/${claimB.json.id}/verify`, { token: b.token });
    expect(taken.status).toBe(200);
    expect(taken.json.status).toBe("verified");
    const [left] = await sql`select status from tenant_domains where id = ${claimA.json.id}`;
    expect(left?.status).toBe("pending");
  });

  it("normalises names (IDNA) and refuses public suffixes and what is not a domain with 422", async () => {
    const { token } = await owner();
    const idn = await call("POST", "/v1/domains", {
      token,
      body: { domain: `Bücher-${randomUUID().slice(0, 6)}.example` },
    });
    expect(idn.status).toBe(201);
    expect(idn.json.domain).toMatch(/^xn--bcher-.*\.example$/);
    for (const domain of [
      "com",
      "co.uk",
      "github.io",
      "localhost",
      "10.0.0.1",
      "not a domain",
      "a..b.example",
      "-x.example",
      "acme.com/path",
      "user@acme.com",
    ]) {
      const refused = await call("POST", "/v1/domains", { token, body: { domain } });
      expect(refused.status, domain).toBe(422);
      expect(refused.json.code).toBe("validation_failed");
    }
    const again = await call("POST", "/v1/domains", { token, body: { domain: idn.json.domain } });
    expect(again.status).toBe(409);
  });

  it("answers 503 when DNS does not answer, not domain_not_verified", async () => {
    const silent = await startDnsServer();
    await silent.close();
    const cut = await gatewayInProcess({ TRUST_PROXY: "true", DNS_SERVERS: silent.address });
    try {
      const signup = await cut.call("POST", "/v1/signup", {
        body: uniqueSignup(),
        headers: headers(),
      });
      const token = signup.json.tokens.accessToken;
      const created = await cut.call("POST", "/v1/domains", {
        token,
        body: { domain: uniqueDomain() },
        headers: headers(),
      });
      const answer = await cut.call("POST", `/v1/domains/${created.json.id}/verify`, {
        token,
        headers: headers(),
      });
      expect(answer.status).toBe(503);
      expect(answer.json.code).toBe("upstream_unavailable");
    } finally {
      await cut.close();
    }
  });
});
