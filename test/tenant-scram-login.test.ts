import { tenantRoleName } from "@oryn/shared";
import { testRun } from "@oryn/testing/context";
import { startThrowawayPostgres, type ThrowawayPostgres } from "@oryn/testing/postgres-server";
import { activeTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenantRoleScramIterations } from "../services/provisioner/src/provisioning/scram.ts";
import { createTenantPools } from "../services/workspace/src/tenants/tenant-pools.ts";

/**
 * The machine's PostgreSQL trusts local logins, so elsewhere no test sees a tenant role really
 * authenticate. Here the tenant database lives on a server of the test's own that checks
 * passwords (scram-sha-256), as production servers do.
 */
const run = testRun();
let server: ThrowawayPostgres;
let provisioning: ReturnType<typeof provisioningDeps>;
let tenantId: string;

beforeAll(async () => {
  server = await startThrowawayPostgres({ label: "scram", checkPasswords: true });
  provisioning = provisioningDeps({ ...run, postgresUrl: server.url });
  tenantId = await activeTenant(provisioning);
}, 120_000);
afterAll(async () => {
  if (tenantId) await provisioning.controlPlane`delete from tenants where id = ${tenantId}`;
  await provisioning?.close();
  await server?.remove();
});

const pools = (passwordSecret: string) =>
  createTenantPools({
    serverUrl: server.url,
    passwordSecret,
    maxConnectionsPerPool: 2,
    maxConnections: 4,
    maxPools: 2,
    idleMs: 60_000,
    waitMs: 2_000,
  });

describe("tenant roles on a server that checks passwords", () => {
  it("log in with the password workspace derives, over SCRAM with the tenant iteration count", async () => {
    const workspacePools = pools(run.tenantDbPasswordSecret);
    try {
      const [row] = await workspacePools.run(
        tenantId,
        (sql) => sql<{ role: string }[]>`select current_user as role`,
      );
      expect(row?.role).toBe(tenantRoleName(tenantId));
    } finally {
      await workspacePools.closeAll();
    }
    const [stored] = await provisioning.admin<{ rolpassword: string }[]>`
      select rolpassword from pg_authid where rolname = ${tenantRoleName(tenantId)}`;
    expect(stored?.rolpassword).toMatch(
      new RegExp(`^SCRAM-SHA-256\\$${tenantRoleScramIterations}:`),
    );
  });

  it("are refused with another secret's password: 503 for that tenant, nothing else", async () => {
    const wrongPools = pools("another secret of at least 32 characters.");
    try {
      await expect(wrongPools.run(tenantId, (sql) => sql`select 1`)).rejects.toMatchObject({
        code: "upstream_unavailable",
        status: 503,
      });
    } finally {
      await wrongPools.closeAll();
    }
  });
});
