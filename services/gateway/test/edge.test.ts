import { randomBytes } from "node:crypto";
import { planLimits } from "@oryn/shared";
import { findTenant } from "@oryn/shared/control-plane/tables/tenants";
import { testRun } from "@oryn/testing/context";
import { freePort } from "@oryn/testing/processes";
import { verifyQueuedEmail } from "@oryn/testing/queued-mail";
import { afterAll, describe, expect, it } from "vitest";
import { createGatewayOperationsApp } from "../src/app.ts";
import {
  hashRefreshToken,
  newRefreshToken,
  storeRefreshToken,
} from "../src/tokens/refresh-tokens.ts";
import { gatewayInProcess, password, uniqueSignup } from "./fixtures.ts";

// Calls come from a trusted proxy on loopback, which names a client IP of each test's own in
// X-Forwarded-For, so IP buckets are not shared with other test files running at the same time.
const gateway = await gatewayInProcess({
  RATE_LIMIT_IP_PER_MINUTE: "5",
  TRUSTED_PROXIES: "loopback",
});
afterAll(() => gateway.close());
const uniqueIp = () =>
  `2001:db8::${randomBytes(2).toString("hex")}:${randomBytes(2).toString("hex")}`;

describe("rate limits at the edge", () => {
  it("count signup and login against the client's IP even when a valid token comes along", async () => {
    const ip = uniqueIp();
    const signup = await gateway.call("POST", "/v1/signup", {
      body: uniqueSignup(),
      headers: { "x-forwarded-for": ip },
    });
    expect(signup.status).toBe(202);
    const token = signup.json.tokens.accessToken;
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const answer = await gateway.call("POST", "/v1/auth/login", {
        token,
        body: { email: signup.json.user.email, password: "wrong password!" },
        headers: { "x-forwarded-for": ip },
      });
      expect(answer.headers.get("ratelimit-policy")).toBe('"ip";q=5;w=60');
      statuses.push(answer.status);
    }
    // 1 signup + 4 failed logins use the 5 points; then 429.
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    // The tenant's own bucket still serves its authenticated calls.
    expect(
      (await gateway.call("GET", "/v1/tenant", { token, headers: { "x-forwarded-for": ip } }))
        .status,
    ).toBe(200);
  });

  it("count a login's second factor against the client's IP, whatever token comes along", async () => {
    const ip = uniqueIp();
    const signup = await gateway.call("POST", "/v1/signup", {
      body: uniqueSignup(),
      headers: { "x-forwarded-for": uniqueIp() },
    });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const answer = await gateway.call("POST", "/v1/auth/mfa", {
        token: signup.json.tokens.accessToken,
        body: { mfaToken: "omt_guess", code: "123456" },
        headers: { "x-forwarded-for": ip },
      });
      expect(answer.headers.get("ratelimit-policy")).toBe('"ip";q=5;w=60');
      statuses.push(answer.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it("count refresh and logout in a looser per-IP bucket of their own", async () => {
    const answer = await gateway.call("POST", "/v1/auth/refresh", {
      body: { refreshToken: "ort_unknown" },
      headers: { "x-forwarded-for": uniqueIp() },
    });
    expect(answer.status).toBe(401);
    expect(answer.headers.get("ratelimit-policy")).toMatch(/^"session";q=\d+;w=60$/);
  });

  it("put the rate-limit headers on refused bodies too (413, 415)", async () => {
    const small = await gatewayInProcess({ BODY_LIMIT_BYTES: "64" });
    try {
      const tooBig = await small.call("POST", "/v1/auth/login", {
        body: { email: "a@b.test", password: "x".repeat(100) },
      });
      expect(tooBig.status).toBe(413);
      const wrongType = await small.call("POST", "/v1/auth/login", {
        raw: "a=b",
        headers: { "content-type": "text/plain" },
      });
      expect(wrongType.status).toBe(415);
      for (const answer of [tooBig, wrongType]) {
        expect(answer.headers.get("ratelimit-policy")).toMatch(/^"ip";q=\d+;w=60$/);
        expect(answer.headers.get("ratelimit")).toMatch(/^"ip";r=\d+;t=\d+$/);
      }
    } finally {
      await small.close();
    }
  });
});

describe("request ids at the edge", () => {
  it("are made by the gateway, not taken from the client", async () => {
    const answer = await gateway.call("POST", "/v1/auth/login", {
      body: { email: "nobody@example.test", password },
      headers: { "x-request-id": "chosen-by-client", "x-forwarded-for": uniqueIp() },
    });
    expect(answer.headers.get("x-request-id")).not.toBe("chosen-by-client");
    expect(answer.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.json.requestId).toBe(answer.headers.get("x-request-id"));
  });
});

describe("operations endpoints", () => {
  it("are not served on the public port, only on the operations app", async () => {
    for (const path of ["/metrics", "/readyz"])
      expect((await gateway.call("GET", path)).status).toBe(404);
    expect((await gateway.call("GET", "/healthz")).status).toBe(200);
    const operations = createGatewayOperationsApp(gateway.deps);
    expect((await operations.request("/readyz")).status).toBe(200);
    const metrics = await operations.request("/metrics");
    expect(await metrics.text()).toContain("http_request_duration_seconds");
  });
});

describe("refresh tokens under concurrency", () => {
  const refresh = (target: typeof gateway, token: string, ip = uniqueIp()) =>
    target.call("POST", "/v1/auth/refresh", {
      body: { refreshToken: token },
      headers: { "x-forwarded-for": ip },
    });

  it("give every refresh of one token sent at once by one client the same successor, within the grace window", async () => {
    const signup = await gateway.call("POST", "/v1/signup", {
      body: uniqueSignup(),
      headers: { "x-forwarded-for": uniqueIp() },
    });
    const refreshToken = signup.json.tokens.refreshToken;
    // One client (two tabs, a retry): the grace answer is for it alone (sessions.test.ts).
    const client = uniqueIp();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => refresh(gateway, refreshToken, client)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    const successors = new Set(answers.map((answer) => answer.json.refreshToken));
    expect(successors.size).toBe(1);
    // One successor was stored, not eight: the family did not fork.
    const { sql } = gateway.deps;
    const [family] = await sql<{ tokens: number }[]>`
      select count(*)::int as tokens from refresh_tokens
      where family_id = (select family_id from refresh_tokens
                         where token_hash = ${hashRefreshToken(refreshToken)})`;
    expect(family?.tokens).toBe(2);
    // And it works.
    expect((await refresh(gateway, [...successors][0] ?? "")).status).toBe(200);
  });

  it("revoke the family when a token is replayed after the grace window", async () => {
    const strict = await gatewayInProcess({ REFRESH_REUSE_GRACE_SECONDS: "1" });
    try {
      const signup = await strict.call("POST", "/v1/signup", {
        body: uniqueSignup(),
        headers: { "x-forwarded-for": uniqueIp() },
      });
      const refreshToken = signup.json.tokens.refreshToken;
      const first = await refresh(strict, refreshToken);
      expect(first.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const replay = await refresh(strict, refreshToken);
      expect(replay.status).toBe(401);
      // The successor went with its family.
      expect((await refresh(strict, first.json.refreshToken)).status).toBe(401);
    } finally {
      await strict.close();
    }
  });
});

describe("logout racing a refresh", () => {
  it("revokes the successor the refresh commits meanwhile", async () => {
    const signup = await gateway.call("POST", "/v1/signup", {
      body: uniqueSignup(),
      headers: { "x-forwarded-for": uniqueIp() },
    });
    const { refreshToken } = signup.json.tokens;
    const { sql } = gateway.deps;
    // Hold the token's row as a refresh in flight would, then let logout queue up behind it.
    let refreshed = "";
    const holding = sql.begin(async (tx) => {
      await tx`select 1 from refresh_tokens where token_hash = ${hashRefreshToken(refreshToken)} for update`;
      const logout = gateway.call("POST", "/v1/auth/logout", {
        body: { refreshToken },
        headers: { "x-forwarded-for": uniqueIp() },
      });
      // Wait until the logout really is queued behind this lock: otherwise the race is not run.
      const until = Date.now() + 5_000;
      for (;;) {
        const [waiting] = await sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'
            and query like '%from refresh_tokens where token_hash%for update%'`;
        if ((waiting?.n ?? 0) > 0) break;
        if (Date.now() > until) throw new Error("the logout never waited for the lock");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // What the refresh would commit: the old token spent, a successor in the same family.
      const [row] = await tx<{ familyId: string; tenantId: string; userId: string }[]>`
        update refresh_tokens set used_at = now() where token_hash = ${hashRefreshToken(refreshToken)}
        returning family_id, tenant_id, user_id`;
      const successor = newRefreshToken();
      refreshed = successor.token;
      await storeRefreshToken(tx, {
        familyId: row?.familyId ?? "",
        tenantId: row?.tenantId ?? "",
        userId: row?.userId ?? "",
        hash: successor.hash,
        ttlSeconds: 600,
      });
      // Wrapped: a promise returned from the callback would be awaited before the commit.
      return { logout };
    });
    expect((await (await holding).logout).status).toBe(204);
    const after = await gateway.call("POST", "/v1/auth/refresh", {
      body: { refreshToken: refreshed },
      headers: { "x-forwarded-for": uniqueIp() },
    });
    expect(after.status).toBe(401);
  });
});

describe("signup while Redis is down", () => {
  it("still answers 202 with the tenant committed, left for the sweep to enqueue", async () => {
    const down = await gatewayInProcess({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    try {
      const answer = await down.call("POST", "/v1/signup", { body: uniqueSignup() });
      expect(answer.status).toBe(202);
      expect(await findTenant(down.deps.sql, answer.json.tenant.id)).toMatchObject({
        status: "provisioning",
      });
    } finally {
      await down.close();
    }
  });
});

describe("per-tenant limits by plan", () => {
  it("follow the tenant's plan, and a plan change applies within the cache time, without a restart", async () => {
    const quick = await gatewayInProcess({
      PLAN_CACHE_TTL_MS: "200",
      TRUSTED_PROXIES: "loopback",
      RATE_LIMIT_TENANT_PER_SECOND: "",
    });
    try {
      const signup = await quick.call("POST", "/v1/signup", {
        body: uniqueSignup(),
        headers: { "x-forwarded-for": uniqueIp() },
      });
      const token = signup.json.tokens.accessToken;
      const policy = async () =>
        (await quick.call("GET", "/v1/tenant", { token })).headers.get("ratelimit-policy");
      const header = (plan: "free" | "pro") =>
        `"tenant-burst";q=${planLimits[plan].requestsPerSecond};w=1, "tenant";q=${planLimits[plan].requestsPerMinute};w=60`;
      expect(await policy()).toBe(header("free"));
      await quick.deps.sql`update tenants set plan = 'pro' where id = ${signup.json.tenant.id}`;
      const deadline = Date.now() + 5_000;
      let seen = await policy();
      while (seen?.includes(`q=${planLimits.free.requestsPerMinute};`) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        seen = await policy();
      }
      expect(seen).toBe(header("pro"));
    } finally {
      await quick.close();
    }
  });
});

describe("the burst window", () => {
  it("refuses a tenant's burst past its per-second rate, with Retry-After, and serves it again a second later", async () => {
    const bursty = await gatewayInProcess({
      TRUSTED_PROXIES: "loopback",
      RATE_LIMIT_TENANT_PER_SECOND: "5",
    });
    try {
      const signup = await bursty.call("POST", "/v1/signup", {
        body: uniqueSignup(),
        headers: { "x-forwarded-for": uniqueIp() },
      });
      const token = signup.json.tokens.accessToken;
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => bursty.call("GET", "/v1/tenant", { token })),
      );
      const refused = answers.filter((answer) => answer.status === 429);
      expect(answers.filter((answer) => answer.status === 200)).toHaveLength(5);
      expect(refused).toHaveLength(3);
      expect(refused[0]?.json.detail).toMatch(/tenant-burst limit of 5 requests per 1 s/);
      expect(refused[0]?.headers.get("ratelimit")).toMatch(/^"tenant-burst";r=0;t=1$/);
      expect(Number(refused[0]?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await bursty.call("GET", "/v1/tenant", { token })).status).toBe(200);
    } finally {
      await bursty.close();
    }
  });

  it("does not charge a tenant for requests refused 401 or 403", async () => {
    const strict = await gatewayInProcess({
      TRUSTED_PROXIES: "loopback",
      RATE_LIMIT_TENANT_PER_MINUTE: "3",
    });
    try {
      const signup = await strict.call("POST", "/v1/signup", {
        body: uniqueSignup(),
        headers: { "x-forwarded-for": uniqueIp() },
      });
      await verifyQueuedEmail(testRun(), strict.call, signup.json.user.email);
      const owner = signup.json.tokens.accessToken;
      // A member's key, refused 403 on admin routes, many more times than the quota.
      const key = await strict.call("POST", "/v1/api-keys", {
        token: owner,
        body: { name: "reader", role: "member" },
      });
      expect(key.status).toBe(201);
      for (let attempt = 0; attempt < 6; attempt++) {
        expect((await strict.call("GET", "/v1/api-keys", { token: key.json.key })).status).toBe(
          403,
        );
      }
      // The tenant has paid for one request (the key's creation): two are left.
      const after = await strict.call("GET", "/v1/tenant", { token: owner });
      expect(after.status).toBe(200);
      expect(after.headers.get("ratelimit")).toMatch(/^"tenant";r=1;t=\d+$/);
    } finally {
      await strict.close();
    }
  });

  it("charges refused requests past the free allowance, so hammering a forbidden route is limited", async () => {
    const strict = await gatewayInProcess({
      TRUSTED_PROXIES: "loopback",
      RATE_LIMIT_TENANT_PER_MINUTE: "5",
      RATE_LIMIT_REFUSED_PER_MINUTE: "3",
    });
    try {
      const signup = await strict.call("POST", "/v1/signup", {
        body: uniqueSignup(),
        headers: { "x-forwarded-for": uniqueIp() },
      });
      await verifyQueuedEmail(testRun(), strict.call, signup.json.user.email);
      const key = await strict.call("POST", "/v1/api-keys", {
        token: signup.json.tokens.accessToken,
        body: { name: "reader", role: "member" },
      });
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 10; attempt++) {
        statuses.push((await strict.call("GET", "/v1/api-keys", { token: key.json.key })).status);
      }
      // 1 paid (the key's creation) + 3 free refusals + 4 paid refusals = the quota of 5, then 429.
      expect(statuses).toEqual([403, 403, 403, 403, 403, 403, 403, 429, 429, 429]);
    } finally {
      await strict.close();
    }
  });
});

describe("browser clients", () => {
  it("get CORS headers for configured origins only, and preflights are not rate limited", async () => {
    const withCors = await gatewayInProcess({
      CORS_ORIGINS: "https://app.example.test, https://admin.example.test",
      RATE_LIMIT_IP_PER_MINUTE: "1",
    });
    try {
      const preflight = (origin: string) =>
        withCors.app.request("/v1/projects", {
          method: "OPTIONS",
          headers: {
            origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type, idempotency-key",
          },
        });
      for (let attempt = 0; attempt < 3; attempt++) {
        const allowed = await preflight("https://app.example.test");
        expect(allowed.status).toBe(204);
        expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.test");
        expect(allowed.headers.get("access-control-allow-headers")).toContain("idempotency-key");
      }
      const other = await preflight("https://evil.example.test");
      expect(other.headers.get("access-control-allow-origin")).toBeNull();
      const simple = await withCors.app.request("/healthz", {
        headers: { origin: "https://admin.example.test" },
      });
      expect(simple.headers.get("access-control-expose-headers")).toContain("ratelimit");
    } finally {
      await withCors.close();
    }
  });

  it("get no CORS headers when no origin is configured, and security headers everywhere", async () => {
    const answer = await gateway.app.request("/healthz", { headers: { origin: "https://x.test" } });
    expect(answer.headers.get("access-control-allow-origin")).toBeNull();
    expect(answer.headers.get("content-security-policy")).toBe(
      "default-src 'none'; frame-ancestors 'none'",
    );
    expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
    expect(answer.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
    const docs = await gateway.app.request("/docs");
    expect(docs.headers.get("content-security-policy")).toContain("script-src 'self'");
  });

  it("refuse a malformed CORS_ORIGINS at start, naming it", async () => {
    await expect(gatewayInProcess({ CORS_ORIGINS: "app.example.test" })).rejects.toThrow(
      /CORS_ORIGINS/,
    );
  });
});
