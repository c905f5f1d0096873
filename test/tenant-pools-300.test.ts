import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { accessTokenAlgorithm, accessTokenType, connect, tenantDatabaseName } from "@oryn/shared";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { freePort, type RunningService, startService } from "@oryn/testing/processes";
import { sampleWorkspaceSessions } from "@oryn/testing/session-sampler";
import { activeTenants, provisioningDeps, removeTenants } from "@oryn/testing/tenants";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The pool test: 300 tenants, each with its own database, hit at once through a real
 * workspace process whose budget is 40 connections. Every request must answer (200, or a clean
 * 503 after the wait), and PostgreSQL must never see more than 40 connections from it.
 */
const tenantCount = 300;
const budget = 40;

const run = testRun();
const provisioning = provisioningDeps(run);
const sampler = connect(run.postgresUrl, { max: 1 });
let tenants: string[] = [];
let workspace: RunningService | undefined;
let jwks: Server;
let sign: (tenantId: string) => Promise<string>;
const setupTimes: Record<string, number> = {};

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair(accessTokenAlgorithm);
  const key = { ...(await exportJWK(publicKey)), kid: "pool-test", alg: accessTokenAlgorithm };
  jwks = createServer((_, response) => {
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ keys: [key] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
  sign = (tenantId) =>
    new SignJWT({ tid: tenantId, role: "member" })
      .setProtectedHeader({ alg: accessTokenAlgorithm, typ: accessTokenType, kid: "pool-test" })
      .setSubject(randomUUID())
      .setJti(randomUUID())
      .setIssuer("oryn")
      .setAudience("oryn-api")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);

  let started = performance.now();
  tenants = await activeTenants(provisioning, tenantCount, 6);
  setupTimes.provisionMs = Math.round(performance.now() - started);
  started = performance.now();
  workspace = await startService("workspace", await freePort(), {
    ...serviceEnv(run),
    JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`,
    TENANT_CONNECTIONS_MAX: String(budget),
    TENANT_POOL_MAX: "5",
    TENANT_POOLS_MAX: "100",
    // Long enough that a loaded CI machine still serves many; the 503 path is taken either way.
    TENANT_CONNECTION_WAIT_MS: "5000",
  });
  setupTimes.startMs = Math.round(performance.now() - started);
}, 120_000);

afterAll(async () => {
  await workspace?.stop();
  await new Promise<void>((resolve) => jwks.close(() => resolve()));
  // Dropped here, several at a time, rather than one by one in the run's final cleanup.
  const started = performance.now();
  await removeTenants(provisioning.admin, provisioning.controlPlane, tenants, 4);
  console.log(
    `[pool test] provisioned ${tenantCount} tenants in ${setupTimes.provisionMs} ms, workspace up in ${setupTimes.startMs} ms, removed in ${Math.round(performance.now() - started)} ms`,
  );
  await sampler.end();
  await provisioning.close();
}, 120_000);

describe(`${tenantCount} tenants against a budget of ${budget} connections`, () => {
  it("answers every request, and PostgreSQL never sees more connections than the budget", async () => {
    // Counts this process's sessions: its application name, in this test's tenant databases.
    const sessions = sampleWorkspaceSessions(sampler, tenants.map(tenantDatabaseName), 5);

    const tokens = await Promise.all(tenants.map(sign));
    const url = workspace?.url;
    const started = performance.now();
    // Two requests per tenant, all at once: a read and a write.
    const answers = await Promise.all(
      tenants.flatMap((_, index) => {
        const headers = { authorization: `Bearer ${tokens[index]}` };
        return [
          fetch(`${url}/v1/projects`, { headers }),
          fetch(`${url}/v1/projects`, {
            method: "POST",
            headers: { ...headers, "content-type": "application/json" },
            body: JSON.stringify({ name: "pool test" }),
          }),
        ].map(async (pending) => {
          const answer = await pending;
          return {
            status: answer.status,
            type: answer.headers.get("content-type"),
            retryAfter: answer.headers.get("retry-after"),
            body: (await answer.json()) as { code?: string },
          };
        });
      }),
    );
    const elapsedMs = Math.round(performance.now() - started);
    const { most, samples } = await sessions.stop();

    const byStatus: Record<number, number> = {};
    for (const answer of answers) byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
    console.log(
      `[pool test] ${answers.length} requests in ${elapsedMs} ms: ${JSON.stringify(byStatus)}; most connections seen ${most} in ${samples} samples`,
    );
    for (const answer of answers) {
      expect([200, 201, 503]).toContain(answer.status);
      if (answer.status === 503) {
        expect(answer.type).toBe("application/problem+json");
        expect(answer.body.code).toBe("upstream_unavailable");
        expect(answer.retryAfter).not.toBeNull();
      }
    }
    // How many are served depends on the machine (each new tenant costs a fresh, authenticated
    // connection); that some are is the point here, the figures are in the log line above.
    expect((byStatus[200] ?? 0) + (byStatus[201] ?? 0)).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(budget);
    // The sampler did see the process working near its budget, so the bound above means something.
    expect(most).toBeGreaterThan(budget / 2);
    expect(samples).toBeGreaterThan(5);
  }, 120_000);
});
