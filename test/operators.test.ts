/**
 * The operator API through the gateway, every service a real process: the fleet's tenants (one
 * whose provisioning really failed: its database server was down), one tenant, the servers with
 * their load, the last fleet migration's report, and a retry that ends active once the server is
 * back. Tenant credentials and a wrong operator secret are refused, at the gateway and past it.
 */
import { runCli } from "@oryn/testing/cli";
import { jsonCaller } from "@oryn/testing/http";
import { type OperatorStack, operatorStack } from "@oryn/testing/operator-stack";
import { freePort, startService } from "@oryn/testing/processes";
import { eventually } from "@oryn/testing/wait";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let stack: OperatorStack;
let failed: { slug: string; tenantId: string; token: string };
let healthy: { slug: string; tenantId: string; token: string };

const operatorRoutes = (tenantId: string) =>
  [
    ["GET", "/v1/operator/tenants"],
    ["GET", `/v1/operator/tenants/${tenantId}`],
    ["POST", `/v1/operator/tenants/${tenantId}/retry-provisioning`],
    ["GET", "/v1/operator/servers"],
    ["GET", "/v1/operator/fleet-migrations/last"],
  ] as const;

describe("the operator API", () => {
  beforeAll(async () => {
    stack = await operatorStack("operators");
    // One after the other: while the failed one is placed, only the down server accepts.
    failed = await stack.failedSignup(`op-broken-${crypto.randomUUID().slice(0, 6)}`);
    healthy = await stack.activeSignup(`op-fine-${crypto.randomUUID().slice(0, 6)}`);
  }, 150_000);
  afterAll(() => stack?.close());

  const asOperator = (method: string, path: string) =>
    stack.call(method, path, { token: stack.token });

  it("lists the fleet's tenants with status, server, schema version and provisioning", async () => {
    const all = await asOperator("GET", "/v1/operator/tenants");
    expect(all.status).toBe(200);
    expect(all.headers.get("ratelimit-policy")).toMatch(/operator/);
    const bySlug = new Map(all.json.items.map((t: { slug: string }) => [t.slug, t]));
    expect(bySlug.get(failed.slug)).toMatchObject({
      id: failed.tenantId,
      status: "provisioning_failed",
      server: "flaky",
      schemaVersion: 0,
      provisioning: { attempts: 5, error: expect.any(String), errorDetail: expect.any(String) },
    });
    expect(bySlug.get(healthy.slug)).toMatchObject({
      status: "active",
      server: "main",
      plan: "free",
      schemaVersion: expect.any(Number),
      provisioning: { step: "done", error: null },
    });

    const onlyFailed = await asOperator("GET", "/v1/operator/tenants?status=provisioning_failed");
    expect(onlyFailed.json.items.map((t: { slug: string }) => t.slug)).toEqual([failed.slug]);
    const onMain = await asOperator("GET", "/v1/operator/tenants?server=main");
    expect(onMain.json.items.map((t: { slug: string }) => t.slug)).toEqual([healthy.slug]);

    // Paged like every list: one per page, then the end.
    const first = await asOperator("GET", "/v1/operator/tenants?limit=1");
    expect(first.json.items).toHaveLength(1);
    const second = await asOperator(
      "GET",
      `/v1/operator/tenants?limit=1&cursor=${first.json.nextCursor}`,
    );
    expect(second.json.items).toHaveLength(1);
    expect(second.json.items[0].id).not.toBe(first.json.items[0].id);
    expect(second.json.nextCursor).toBeNull();

    const bad = await asOperator("GET", "/v1/operator/tenants?status=sleeping&cursor=nonsense");
    expect(bad.status).toBe(422);
    expect(bad.json.code).toBe("validation_failed");
  });

  it("shows one tenant by id or slug, and 404 for none", async () => {
    const byId = await asOperator("GET", `/v1/operator/tenants/${failed.tenantId}`);
    expect(byId.status).toBe(200);
    expect(byId.json.provisioning.errorDetail).toMatch(/ECONNREFUSED|connect/i);
    const bySlug = await asOperator("GET", `/v1/operator/tenants/${failed.slug}`);
    expect(bySlug.json.id).toBe(failed.tenantId);
    const none = await asOperator("GET", `/v1/operator/tenants/${crypto.randomUUID()}`);
    expect(none.status).toBe(404);
    expect(none.json.code).toBe("not_found");
  });

  it("lists the servers with capacity, tenants, load and whether they answer", async () => {
    const servers = await asOperator("GET", "/v1/operator/servers");
    expect(servers.status).toBe(200);
    const byName = new Map(servers.json.items.map((s: { name: string }) => [s.name, s]));
    expect(byName.get("main")).toMatchObject({
      capacity: 100,
      tenants: 1,
      load: 0.01,
      state: "accepting",
      reachable: true,
      connections: expect.any(Number),
    });
    expect(byName.get("flaky")).toMatchObject({
      tenants: 1,
      state: "draining",
      reachable: false,
      connections: null,
    });
    expect(servers.json.nextCursor).toBeNull();
  });

  it("answers 404 before any fleet migration, then the report `pnpm oryn migrate` recorded", async () => {
    const before = await asOperator("GET", "/v1/operator/fleet-migrations/last");
    expect(before.status).toBe(404);
    // The down server's template cannot be migrated: the run fails, and says why.
    const cli = await runCli(["migrate", "--json"], stack.oryn.env.provisioner);
    expect(cli.code).toBe(1);
    const last = await asOperator("GET", "/v1/operator/fleet-migrations/last");
    expect(last.status).toBe(200);
    expect(last.json).toMatchObject({
      state: "failed",
      targetVersion: expect.any(Number),
      concurrency: 4,
      finishedAt: expect.any(String),
    });
    expect(last.json.error ?? JSON.stringify(last.json.report)).toMatch(
      /flaky|ECONNREFUSED|connect/i,
    );
  }, 60_000);

  it("refuses every tenant credential with 403 and no or a wrong operator secret with 401", async () => {
    const key = await stack.call("POST", "/v1/api-keys", {
      token: healthy.token,
      body: { name: "automation", role: "owner" },
    });
    for (const [method, path] of operatorRoutes(failed.tenantId)) {
      const asOwner = await stack.call(method, path, { token: healthy.token });
      expect(asOwner.status, `${method} ${path} as a tenant owner`).toBe(403);
      expect(asOwner.json.code).toBe("forbidden");
      if (key.status === 201) {
        const asKey = await stack.call(method, path, { token: key.json.key });
        expect(asKey.status, `${method} ${path} with an owner's API key`).toBe(403);
      }
      // Tenant credentials that no longer verify (a forged or expired token, an unknown key)
      // are not the operator's either, and never travel to the provisioner.
      // Nor does a header that is not one well-formed bearer token: it may hold a tenant's
      // secret among other words. The gateway's refusal says "not a tenant's"; the
      // provisioner's would name OPERATOR_TOKEN.
      for (const stale of [
        `${healthy.token.slice(0, -4)}AAAA`,
        `oryn_${"x".repeat(43)}`,
        `${healthy.token} and more`,
        `${healthy.token}!`,
        // b64token punctuation around a tenant's token is a well-formed bearer token.
        `${healthy.token}.`,
        `+${healthy.token}`,
      ]) {
        const refused = await stack.call(method, path, { token: stale });
        expect(refused.status, `${method} ${path} with a stale tenant credential`).toBe(401);
        expect(refused.json.detail, stale).toMatch(/not a tenant's/);
      }
      const wrong = await stack.call(method, path, { token: `${stack.token.slice(0, -1)}x` });
      expect(wrong.status, `${method} ${path} with a wrong secret`).toBe(401);
      expect(wrong.json.code).toBe("unauthorized");
      const none = await stack.call(method, path);
      expect(none.status, `${method} ${path} without credential`).toBe(401);
      // Past the gateway, the provisioner checks the secret itself.
      const direct = jsonCaller((p, init) =>
        fetch(`${stack.oryn.services.provisioner.url}${p}`, init),
      );
      expect((await direct(method, path, { token: healthy.token })).status).toBe(401);
      expect((await direct(method, path, { token: "x".repeat(43) })).status).toBe(401);
    }
    // The refusals changed nothing: the failed tenant is still failed.
    const still = await asOperator("GET", `/v1/operator/tenants/${failed.tenantId}`);
    expect(still.json.status).toBe("provisioning_failed");
  });

  it("retries a failed provisioning once the server is back, and the tenant becomes active", async () => {
    const notFailed = await asOperator(
      "POST",
      `/v1/operator/tenants/${healthy.tenantId}/retry-provisioning`,
    );
    expect(notFailed.status).toBe(409);
    expect(notFailed.json.code).toBe("conflict");

    await stack.bringFlakyUp();
    const retried = await asOperator(
      "POST",
      `/v1/operator/tenants/${failed.tenantId}/retry-provisioning`,
    );
    expect(retried.status).toBe(202);
    expect(retried.json).toMatchObject({
      status: "provisioning",
      provisioning: { attempts: 0, error: null, errorDetail: null },
    });
    const active = await eventually(
      () => asOperator("GET", `/v1/operator/tenants/${failed.tenantId}`),
      (answer) => answer.json?.status === "active",
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(active.json).toMatchObject({ server: "flaky", provisioning: { error: null } });
    expect(active.json.schemaVersion).toBeGreaterThan(0);
    // Its owner can work in it now.
    const project = await stack.call("POST", "/v1/projects", {
      token: failed.token,
      body: { name: "after the retry" },
    });
    expect(project.status).toBe(201);
    // A second retry finds nothing to retry; the first is in the control-plane audit.
    const again = await asOperator(
      "POST",
      `/v1/operator/tenants/${failed.tenantId}/retry-provisioning`,
    );
    expect(again.status).toBe(409);
    const audited = await stack.cp<{ requestId: string; data: { via: string } }[]>`
      select request_id, data from audit_events
      where tenant_id = ${failed.tenantId} and action = 'provisioning_retried'`;
    expect(audited).toEqual([
      { requestId: retried.headers.get("x-request-id"), data: { via: "operator_api" } },
    ]);
  }, 90_000);

  it("counts operator requests in a bucket of their own per IP, wrong secrets included", async () => {
    // A gateway of its own with a tiny operator limit and its own counters.
    const env = stack.oryn.env.gateway;
    const gateway = await startService("gateway", await freePort(), {
      ...env,
      OPS_PORT: String(await freePort()),
      REDIS_PREFIX: `${env.REDIS_PREFIX}-operator-limit`,
      RATE_LIMIT_OPERATOR_PER_MINUTE: "3",
    });
    try {
      const call = jsonCaller((path, init) => fetch(`${gateway.url}${path}`, init));
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        statuses.push(
          (await call("GET", "/v1/operator/servers", { token: "x".repeat(43) })).status,
        );
      }
      expect(statuses).toEqual([401, 401, 401]);
      // Guessing spent the IP's operator bucket: even the right secret waits now.
      const limited = await call("GET", "/v1/operator/servers", { token: stack.token });
      expect(limited.status).toBe(429);
      expect(limited.json.code).toBe("rate_limited");
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(limited.headers.get("ratelimit-policy")).toMatch(/"operator";q=3;w=60/);
      // Tenants' requests are counted elsewhere and go on.
      expect((await call("GET", "/v1/tenant", { token: healthy.token })).status).toBe(200);
    } finally {
      await gateway.stop();
    }
  }, 60_000);

  it("answers 503 problem+json while the provisioner is down, and serves again once it is back", async () => {
    await stack.oryn.kill("provisioner");
    try {
      const down = await asOperator("GET", "/v1/operator/servers");
      expect(down.status).toBe(503);
      expect(down.json.code).toBe("upstream_unavailable");
      // Tenants are not served by the provisioner: their requests go on.
      expect((await stack.call("GET", "/v1/tenant", { token: healthy.token })).status).toBe(200);
    } finally {
      await stack.oryn.revive("provisioner");
    }
    expect((await asOperator("GET", "/v1/operator/servers")).status).toBe(200);
  }, 90_000);
});
