import { randomUUID } from "node:crypto";
import { access } from "node:fs/promises";
import {
  ApiError,
  enqueue,
  exportArchivePath,
  type Logger,
  type Queues,
  type Sql,
  type TransactionSql,
} from "@oryn/shared";
import {
  findExport,
  findExportUnderWay,
  insertExport,
  type TenantExportRow,
} from "@oryn/shared/control-plane/tables/tenant-exports";
import { lockTenantPlanAndStatus } from "@oryn/shared/control-plane/tables/tenants";
import type { TenantExport } from "./schemas.ts";

function toExport(row: TenantExportRow): TenantExport {
  return {
    id: row.id,
    status: row.status,
    sizeBytes: row.sizeBytes === null ? null : Number(row.sizeBytes),
    sha256: row.sha256,
    createdAt: row.createdAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
    expiresAt: row.expiresAt.toISOString(),
  };
}

/**
 * A new export, or the one already under way: an owner clicking twice (or a script looping)
 * gets the same export rather than filling the disk with copies. The row lock on the tenant
 * makes two concurrent requests take turns.
 */
export async function requestExport(
  tx: TransactionSql,
  input: { tenantId: string; requestedBy: string; ttlSeconds: number },
): Promise<{ export: TenantExport; created: boolean }> {
  const status = (await lockTenantPlanAndStatus(tx, input.tenantId))?.status;
  if (!status || status === "deleting" || status === "deleted") {
    throw new ApiError("not_found");
  }
  if (status !== "active" && status !== "restricted") {
    throw new ApiError("tenant_not_ready", { detail: "There is nothing to export yet" });
  }
  const running = await findExportUnderWay(tx, input.tenantId);
  if (running) return { export: toExport(running), created: false };
  const created = await insertExport(tx, { id: randomUUID(), ...input });
  return { export: toExport(created), created: true };
}

/**
 * Hands the export to the provisioner, after the request committed. Enqueued again for one under
 * way too: a lost enqueue is mended by asking again (the job id is the export's, so a job
 * already there is not duplicated). A new export that cannot be enqueued is a 503.
 */
export async function enqueueExport(
  queues: Queues,
  logger: Logger,
  tenantId: string,
  requested: { export: TenantExport; created: boolean },
): Promise<void> {
  const exportId = requested.export.id;
  await enqueue(queues, "exportTenant", { exportId, tenantId }, { timeoutMs: 2000 }).catch(
    (error: unknown) => {
      logger.warn(
        { err: error, exportId, created: requested.created },
        "could not enqueue an export",
      );
      if (requested.created)
        throw new ApiError("upstream_unavailable", { status: 503, cause: error });
    },
  );
}

/** The tenant's export by id; another tenant's is as absent as a made-up id. */
export async function getExport(sql: Sql, tenantId: string, id: string): Promise<TenantExport> {
  const row = await findExport(sql, tenantId, id);
  if (!row) throw new ApiError("not_found");
  return toExport(row);
}

/** A ready export's archive on disk; 404 once it has expired, 409 while it is not ready. */
export async function readyArchive(
  sql: Sql,
  exportDir: string,
  tenantId: string,
  id: string,
): Promise<{ id: string; path: string; sizeBytes: string | null; sha256: string | null }> {
  const row = await findExport(sql, tenantId, id);
  if (!row) throw new ApiError("not_found");
  if (row.status === "expired" || (row.status === "ready" && row.expiresAt <= new Date())) {
    throw new ApiError("not_found", { detail: "The export has expired; request a new one" });
  }
  if (row.status !== "ready") {
    throw new ApiError("export_not_ready", { detail: `The export is ${row.status}` });
  }
  const path = exportArchivePath(exportDir, tenantId, row.id);
  // Removed by the expiry sweep between the row read and here: as good as expired.
  await access(path).catch(() => {
    throw new ApiError("not_found", { detail: "The export has expired; request a new one" });
  });
  return { id: row.id, path, sizeBytes: row.sizeBytes, sha256: row.sha256 };
}
