/**
 * The export job's edges, in-process against real PostgreSQL: an expired archive is removed and
 * its row marked, an export of a tenant that is being deleted is refused rather than written.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createLogger, exportArchivePath } from "@oryn/shared";
import { isolatedRun } from "@oryn/testing/isolated-run";
import { insertTenant, provisioningDeps } from "@oryn/testing/tenants";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expireExports, exportTenant } from "../src/exports/export-tenant.ts";

let run: Awaited<ReturnType<typeof isolatedRun>>;
let deps: ReturnType<typeof provisioningDeps>;
let exportDir: string;

beforeAll(async () => {
  run = await isolatedRun("exports");
  deps = provisioningDeps(run);
  exportDir = mkdtempSync(join(tmpdir(), "oryn-exports-"));
});

afterAll(async () => {
  await deps?.close();
  await run?.drop();
  rmSync(exportDir, { recursive: true, force: true });
});

const logger = createLogger("exports-test", "silent");

async function exportRow(tenantId: string, status: string, expiresIn: string): Promise<string> {
  const id = randomUUID();
  await deps.controlPlane`
    insert into tenant_exports (id, tenant_id, requested_by, status, expires_at)
    values (${id}, ${tenantId}, ${tenantId}, ${status}, now() + ${expiresIn}::interval)`;
  return id;
}

describe("exports", () => {
  it("removes archives past their expiry and keeps the others", async () => {
    const tenantId = await insertTenant(deps.controlPlane);
    const old = await exportRow(tenantId, "ready", "-1 second");
    const fresh = await exportRow(tenantId, "ready", "1 hour");
    for (const id of [old, fresh]) {
      const path = exportArchivePath(exportDir, tenantId, id);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, "archive");
    }
    expect(
      await expireExports({ controlPlane: deps.controlPlane, exportDir, logger }),
    ).toBeGreaterThanOrEqual(1);
    expect(existsSync(exportArchivePath(exportDir, tenantId, old))).toBe(false);
    expect(existsSync(exportArchivePath(exportDir, tenantId, fresh))).toBe(true);
    const rows = await deps.controlPlane<{ id: string; status: string }[]>`
      select id, status from tenant_exports where tenant_id = ${tenantId} order by status`;
    expect(rows).toEqual(
      expect.arrayContaining([
        { id: old, status: "expired" },
        { id: fresh, status: "ready" },
      ]),
    );
  });

  it("writes nothing for a tenant that is being deleted, and says so", async () => {
    const tenantId = await insertTenant(deps.controlPlane);
    await deps.controlPlane`
      update tenants set status = 'deleting', delete_after = now() + interval '1 hour'
      where id = ${tenantId}`;
    const id = await exportRow(tenantId, "pending", "1 hour");
    const outcome = await exportTenant(
      {
        controlPlane: deps.controlPlane,
        adminUrl: run.postgresUrl,
        exportDir,
        ttlSeconds: 60,
        logger,
      },
      id,
      tenantId,
    );
    expect(outcome).toBe("skipped");
    const [row] = await deps.controlPlane<{ status: string }[]>`
      select status from tenant_exports where id = ${id}`;
    expect(row?.status).toBe("failed");
    expect(existsSync(join(exportDir, tenantId))).toBe(false);
  });
});
