import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { recordAuditEvent } from "../src/audit/audit-events.ts";
import { gatewayInProcess, uniqueSignup } from "./fixtures.ts";

// One proxy network (10/8) and one IPv6 block are trusted; everything else is a client.
const gateway = await gatewayInProcess({
  TRUSTED_PROXIES: "10.0.0.0/8, 2001:db8:ff::/48",
  RATE_LIMIT_IP_PER_MINUTE: "3",
});
afterAll(() => gateway.close());
const { sql } = gateway.deps;

const byte = () => randomBytes(1)[0] ?? 0;
/**
 * A client address of this test's own, never drawn twice here: IP buckets hold 3 requests a
 * minute, and a victim or attacker that came out equal to an address an earlier test spent would
 * be refused early (1 in 65,536 per pair). 203.0.113.0/24 is left out: sessions.test.ts draws its
 * clients there, and its gateway leases many points of an address's window from Redis at once.
 */
const drawn = new Set<string>();
function clientAddress(): string {
  for (;;) {
    const third = byte();
    const address = `203.0.${third}.${byte()}`;
    if (third !== 113 && !drawn.has(address)) {
      drawn.add(address);
      return address;
    }
  }
}
const clientAddress6 = () => `2001:db8:1::${randomBytes(2).toString("hex")}`;

/** Signs up from `peer` with `forwarded` as X-Forwarded-For; answers the IP the audit kept. */
async function auditedIp(peer: string, forwarded?: string): Promise<string | null> {
  const answer = await gateway.callFrom(peer)("POST", "/v1/signup", {
    body: uniqueSignup(),
    headers: forwarded === undefined ? {} : { "x-forwarded-for": forwarded },
  });
  expect(answer.status).toBe(202);
  const [row] = await sql<{ ip: string | null }[]>`
    select ip from audit_events where tenant_id = ${answer.json.tenant.id} and action = 'signed_up'`;
  return row?.ip ?? null;
}

describe("the client IP", () => {
  it("is the peer's own address when the peer is not a trusted proxy, whatever X-Forwarded-For says", async () => {
    const peer = clientAddress();
    expect(await auditedIp(peer, "198.51.100.23")).toBe(peer);
    expect(await auditedIp(peer, "10.0.0.1, 10.0.0.2")).toBe(peer);
  });

  it("is the right-most X-Forwarded-For address that is not a trusted proxy, behind one", async () => {
    const client = clientAddress();
    // The left-most entry is the client's own invention; the proxies appended the rest.
    expect(await auditedIp("10.1.2.3", `198.51.100.1, ${client}, 10.9.9.9`)).toBe(client);
    // IPv6 proxies and clients, a dual-stack socket's IPv4-mapped peer, and a port a proxy added.
    const client6 = clientAddress6();
    expect(await auditedIp("2001:db8:ff::5", `${client6}, 2001:db8:ff::7`)).toBe(client6);
    expect(await auditedIp("::ffff:10.0.0.4", `${client}:4711`)).toBe(client);
  });

  it("stops at an entry that is not an address, keeping the last trusted hop", async () => {
    expect(await auditedIp("10.1.2.3", "'; drop table tenants; --, 10.0.0.8")).toBe("10.0.0.8");
    expect(await auditedIp("10.1.2.3", "not-an-ip")).toBe("10.1.2.3");
  });

  it("cannot be set to a victim's address to lock the victim out", async () => {
    const victim = clientAddress();
    const attacker = clientAddress();
    const login = (peer: string, forwarded: string) =>
      gateway.callFrom(peer)("POST", "/v1/auth/login", {
        body: { email: `nobody-${byte()}@example.test`, password: "wrong password!" },
        headers: { "x-forwarded-for": forwarded },
      });
    // Straight from the attacker's address, and through our proxy with the victim's address
    // written to the left of what the proxy appended: both are counted against the attacker.
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await login(attacker, victim)).status).toBe(401);
    }
    expect((await login("10.0.0.1", `${victim}, ${attacker}`)).status).toBe(429);
    // The per-IP limit of 3 a minute is the attacker's, spent; the victim's is untouched.
    expect((await login("10.0.0.1", victim)).status).toBe(401);
  });
});

describe("TRUST_PROXY=true, the deprecated setting", () => {
  it("now trusts loopback and private peers only, not every peer", async () => {
    const legacy = await gatewayInProcess({ TRUST_PROXY: "true" });
    try {
      const client = clientAddress();
      const signUpFrom = async (peer: string) => {
        const answer = await legacy.callFrom(peer)("POST", "/v1/signup", {
          body: uniqueSignup(),
          headers: { "x-forwarded-for": client },
        });
        const [row] = await sql<{ ip: string }[]>`
          select ip from audit_events where tenant_id = ${answer.json.tenant.id} and action = 'signed_up'`;
        return row?.ip;
      };
      expect(await signUpFrom("192.168.1.10")).toBe(client);
      const stranger = clientAddress();
      expect(await signUpFrom(stranger)).toBe(stranger);
    } finally {
      await legacy.close();
    }
  });
});

describe("the audit's IP", () => {
  it("keeps only an address", async () => {
    const requestId = `req-${randomBytes(6).toString("hex")}`;
    const event = { tenantId: null, actorId: null, action: "login_failed", entity: "user" };
    await recordAuditEvent(sql, { requestId, ip: "<script>" }, { ...event, entityId: null });
    await recordAuditEvent(sql, { requestId, ip: "2001:db8::1" }, { ...event, entityId: null });
    const rows = await sql<{ ip: string | null }[]>`
      select ip from audit_events where request_id = ${requestId} order by id`;
    expect(rows.map((row) => row.ip)).toEqual([null, "2001:db8::1"]);
  });
});
