/**
 * Fuzz: X-Forwarded-For, the header every per-IP limit and the audit's address once rested on
 * (issue 21). A real gateway process facing clients directly (TRUSTED_PROXIES empty, the default)
 * must record the socket's address whatever the header says; one that trusts loopback must
 * record the right-most address that is not loopback, or its peer when there is none, and never
 * anything that is not an address.
 */
import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import { connect, type Sql } from "@oryn/shared";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { freePort, type RunningService, startService } from "@oryn/testing/processes";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { headerValue } from "./fuzz-hostile.ts";
import { fuzzRuns, fuzzSeed } from "./fuzz-stack.ts";
import { recordFault } from "./report.ts";

let direct: RunningService;
let behindProxy: RunningService;
let sql: Sql;
beforeAll(async () => {
  // Every login comes from this process's one address: no per-IP limit may answer instead.
  const env = {
    ...serviceEnv(testRun()),
    OPS_PORT: "0",
    LOGIN_MAX_FAILURES_PER_IP_PER_DAY: "10000000",
  };
  [direct, behindProxy] = await Promise.all([
    freePort().then((port) => startService("gateway", port, env)),
    freePort().then((port) =>
      startService("gateway", port, { ...env, TRUSTED_PROXIES: "loopback" }),
    ),
  ]);
  sql = connect(testRun().controlPlaneUrl, { max: 1 });
}, 90_000);
afterAll(async () => {
  await Promise.all([direct?.stop(), behindProxy?.stop()]);
  await sql?.end();
});

/** A failed login with `forwarded` as X-Forwarded-For; the address its audit row kept. */
async function auditedIp(gateway: RunningService, forwarded: string): Promise<string | null> {
  requests++;
  const answer = await fetch(`${gateway.url}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": forwarded },
    body: JSON.stringify({ email: `${randomUUID()}@example.test`, password: "wrong password!" }),
  });
  expect(answer.status).toBe(401);
  const requestId = answer.headers.get("x-request-id");
  const [row] = await sql<{ ip: string | null }[]>`
    select ip from audit_events where request_id = ${requestId} and action = 'login_failed'`;
  return row?.ip ?? null;
}

const address = fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom("127.0.0.1", "::1", "127.9.9.9"));
// Under Node's 16 KiB limit on a request's head, which the HTTP parser answers 431 itself.
const forwardedFor = fc
  .oneof(
    headerValue,
    fc
      .array(fc.oneof(address, headerValue), { minLength: 1, maxLength: 5 })
      .map((hops) => hops.join(", ")),
  )
  .filter((value) => value.length < 12_000);

let requests = 0;
function record(fault: string, runs: number) {
  recordFault({
    fault,
    provoked: runs,
    requests,
    clientErrors: 0,
    dataLost: 0,
    crossTenantLeaks: 0,
  });
}

describe("fuzz: X-Forwarded-For", () => {
  it("is ignored from a peer that is not a trusted proxy", async () => {
    await fc.assert(
      fc.asyncProperty(forwardedFor, async (forwarded) => {
        expect(await auditedIp(direct, forwarded)).toBe("127.0.0.1");
      }),
      { seed: fuzzSeed, numRuns: fuzzRuns(40) },
    );
    record("fuzz: X-Forwarded-For from an untrusted peer", fuzzRuns(40));
  });

  it("behind a trusted proxy, yields an address and never one the proxy did not see", async () => {
    await fc.assert(
      fc.asyncProperty(forwardedFor, async (forwarded) => {
        const ip = await auditedIp(behindProxy, forwarded);
        expect(ip !== null && isIP(ip) !== 0, `${ip} is an address`).toBe(true);
        // The right-most entry that is not loopback, if every entry right of it is an address.
        const hops = forwarded.split(",").map((hop) => hop.trim());
        let expected = "127.0.0.1";
        for (const hop of hops.reverse()) {
          if (isIP(hop) === 0) break;
          expected = hop;
          if (!/^(127\.|::1$)/.test(hop)) break;
        }
        if (isIP(expected) !== 0 && !expected.includes(":")) expect(ip).toBe(expected);
      }),
      { seed: fuzzSeed + 1, numRuns: fuzzRuns(40) },
    );
    record("fuzz: X-Forwarded-For behind a trusted proxy", fuzzRuns(40));
  });
});
