import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { clientIpResolver, isTrustedProxyEntry, trustedProxyList } from "../src/edge/client-ip.ts";

/** The client IP the resolver finds for a request from `peer` with `forwarded` as the header. */
async function resolve(trusted: string[], peer: string, forwarded?: string): Promise<string> {
  const clientIp = clientIpResolver(trustedProxyList(trusted));
  const app = new Hono();
  app.get("/", (c) => c.text(clientIp(c as never)));
  const headers: Record<string, string> =
    forwarded === undefined ? {} : { "x-forwarded-for": forwarded };
  const answer = await app.request(
    "/",
    { headers },
    { incoming: { socket: { remoteAddress: peer } } },
  );
  return answer.text();
}

describe("the client IP", () => {
  it("is the peer when no proxy is trusted, whatever the header says", async () => {
    expect(await resolve([], "203.0.113.9", "198.51.100.1")).toBe("203.0.113.9");
    expect(await resolve([], "::ffff:203.0.113.9")).toBe("203.0.113.9");
  });

  it("walks X-Forwarded-For from the right past trusted proxies only", async () => {
    const trusted = ["10.0.0.0/8", "2001:db8:ff::/48"];
    expect(await resolve(trusted, "10.0.0.1", "1.1.1.1, 198.51.100.7, 10.2.2.2")).toBe(
      "198.51.100.7",
    );
    expect(await resolve(trusted, "2001:db8:ff::9", "2001:db8:1::5")).toBe("2001:db8:1::5");
    // Everything trusted: the left-most address, as far as the header goes.
    expect(await resolve(trusted, "10.0.0.1", "10.3.3.3, 10.2.2.2")).toBe("10.3.3.3");
    // A trusted peer without the header is the client itself.
    expect(await resolve(trusted, "10.0.0.1")).toBe("10.0.0.1");
  });

  it("takes ports and brackets off, and stops at an entry that is not an address", async () => {
    const trusted = ["loopback"];
    expect(await resolve(trusted, "127.0.0.1", "198.51.100.7:443")).toBe("198.51.100.7");
    expect(await resolve(trusted, "127.0.0.1", "[2001:db8::7]:443")).toBe("2001:db8::7");
    expect(await resolve(trusted, "127.0.0.1", "unknown")).toBe("127.0.0.1");
    expect(await resolve(trusted, "127.0.0.1", "198.51.100.7, junk, ::1")).toBe("::1");
  });
});

describe("TRUSTED_PROXIES entries", () => {
  it("are addresses, CIDR blocks of either family, or a shorthand", () => {
    for (const entry of ["10.0.0.1", "10.0.0.0/8", "::1", "2001:db8::/32", "loopback", "private"]) {
      expect(isTrustedProxyEntry(entry), entry).toBe(true);
    }
    for (const entry of ["10.0.0.0/33", "::/129", "10.0.0/8", "example.com", "10.0.0.0/8/1", "*"]) {
      expect(isTrustedProxyEntry(entry), entry).toBe(false);
    }
  });
});
