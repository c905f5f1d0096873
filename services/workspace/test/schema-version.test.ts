import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listMigrations, requiredTenantSchemaVersion, tenantMigrations } from "@oryn/shared";
import { runCli } from "@oryn/testing/cli";
import { serviceEnv } from "@oryn/testing/context";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { activeTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workspaceInProcess } from "./fixtures.ts";

// A tenant really behind: provisioned from the real history cut one short of what the code
// needs, in a control plane and template of this file's own.
const older = mkdtempSync(join(tmpdir(), "oryn-older-migrations-"));
for (const migration of listMigrations(tenantMigrations)) {
  if (migration.version < requiredTenantSchemaVersion) {
    symlinkSync(migration.file, join(older, `${migration.file.split("/").at(-1)}`));
  }
}

let run: Awaited<ReturnType<typeof isolatedRun>>;
let tenantId: string;

beforeAll(async () => {
  run = await isolatedRun("schemagate");
  const deps = provisioningDeps(run);
  try {
    tenantId = await activeTenant({ ...deps, migrations: older });
  } finally {
    await deps.close();
  }
});
afterAll(async () => {
  await run?.drop();
  rmSync(older, { recursive: true, force: true });
});

describe("a tenant database behind the version the code needs", () => {
  it("answers 503 upstream_unavailable with Retry-After until `pnpm oryn migrate`, then 200", async () => {
    const workspace = await workspaceInProcess({ DATABASE_URL: run.controlPlaneUrl });
    try {
      const token = await workspace.tokenFor(tenantId);
      const behind = await workspace.call("GET", "/v1/projects", { token });
      expect(behind.status).toBe(503);
      expect(behind.json).toMatchObject({
        code: "upstream_unavailable",
        detail: expect.stringMatching(/being migrated/),
      });
      expect(behind.headers.get("retry-after")).toBe("10");

      const migrated = await runCli(["migrate"], serviceEnv(run));
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(migrated.stdout).toMatch(/1 migrated/);

      const served = await workspace.call("GET", "/v1/projects", { token });
      expect(served.status).toBe(200);
      expect(served.json.items).toEqual([]);
    } finally {
      await workspace.close();
    }
  });

  it("the required version is never ahead of the tenant migrations this release ships", () => {
    const latest = listMigrations(tenantMigrations).at(-1)?.version ?? 0;
    expect(requiredTenantSchemaVersion).toBeGreaterThan(0);
    expect(requiredTenantSchemaVersion).toBeLessThanOrEqual(latest);
  });
});
