import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import {
  connect,
  exportArchivePath,
  type Logger,
  type Sql,
  type TransactionSql,
  tenantDatabaseName,
  withDatabase,
} from "@oryn/shared";
import {
  expireDueExports,
  failExportOfInactiveTenant,
  markExportReady,
  recordExportError,
  startExport,
} from "@oryn/shared/control-plane/tables/tenant-exports";
import { create as createTar } from "tar";
import type { ServerAdmins } from "../servers/admins.ts";
import { tenantPlacement } from "../servers/placement.ts";

export type ExportDeps = {
  controlPlane: Sql;
  /** Admin URL of the TENANT_DATABASE_URL server (tenants from before the registry). */
  adminUrl: string;
  servers?: ServerAdmins;
  exportDir: string;
  ttlSeconds: number;
  logger: Logger;
};

export type ManifestEntry = { table: string; file: string; rows: number; sha256: string };
export type Manifest = {
  format: "oryn-tenant-export/1";
  tenantId: string;
  exportId: string;
  schemaVersion: number;
  createdAt: string;
  tables: ManifestEntry[];
};

/**
 * Writes one export: every table of the tenant's database as NDJSON (one `row_to_json` object a
 * line, so text comes out exactly as stored), plus `manifest.json` (tables, row counts, schema
 * version, time, SHA-256 of each file), as a tar.gz under EXPORT_DIR. All tables are read in one
 * REPEATABLE READ, READ ONLY transaction: a consistent snapshot while the tenant keeps working.
 * Table names come from the tenant database's own catalog (schema `public`, which only our
 * migrations create tables in) and reach SQL only through identifier escaping.
 */
export async function exportTenant(
  deps: ExportDeps,
  exportId: string,
  tenantId: string,
): Promise<"ready" | "skipped"> {
  // Claim: a retried job (after a crash) starts again; a finished or expired one is left alone.
  if (!(await startExport(deps.controlPlane, exportId, tenantId))) {
    await failExportOfInactiveTenant(deps.controlPlane, exportId);
    return "skipped";
  }
  try {
    const { sizeBytes, sha256 } = await writeArchive(deps, exportId, tenantId);
    await markExportReady(deps.controlPlane, exportId, {
      sizeBytes,
      sha256,
      ttlSeconds: deps.ttlSeconds,
    });
    return "ready";
  } catch (error) {
    await recordExportError(deps.controlPlane, exportId, String((error as Error).message ?? error));
    throw error;
  }
}

async function writeArchive(
  deps: ExportDeps,
  exportId: string,
  tenantId: string,
): Promise<{ sizeBytes: number; sha256: string }> {
  const tenantDir = join(deps.exportDir, tenantId);
  await mkdir(tenantDir, { recursive: true, mode: 0o700 });
  // Staged beside the archive (same filesystem), so the final rename is atomic: a download
  // never sees half an archive.
  const staging = await mkdtemp(join(tenantDir, `.${exportId}-`));
  try {
    const placement = deps.servers ? await tenantPlacement(deps.controlPlane, tenantId) : null;
    const adminUrl = deps.servers?.forPlacement(placement).adminUrl ?? deps.adminUrl;
    const tenantDb = connect(withDatabase(adminUrl, tenantDatabaseName(tenantId)), {
      max: 1,
      applicationName: "oryn-provisioner-export",
    });
    let manifest: Manifest;
    try {
      manifest = await tenantDb.begin("isolation level repeatable read read only", async (tx) => {
        const tables = await tx<{ name: string }[]>`
          select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind in ('r', 'p') order by c.relname`;
        const [version] = await tx<{ version: number | null }[]>`
          select max(version)::int as version from schema_migrations`;
        const entries: ManifestEntry[] = [];
        for (const { name } of tables) {
          entries.push(await dumpTable(tx, name, staging));
        }
        return {
          format: "oryn-tenant-export/1" as const,
          tenantId,
          exportId,
          schemaVersion: version?.version ?? 0,
          createdAt: new Date().toISOString(),
          tables: entries,
        };
      });
    } finally {
      await tenantDb.end({ timeout: 5 });
    }
    await writeFile(join(staging, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`, {
      mode: 0o600,
    });
    const partial = join(staging, "archive.tar.gz");
    // node-tar, gzipped; `portable` leaves out this host's user names and times of access.
    await createTar({ gzip: true, portable: true, cwd: staging, file: partial }, [
      "manifest.json",
      ...manifest.tables.map((entry) => entry.file),
    ]);
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(partial)) hash.update(chunk as Buffer);
    const { size } = await stat(partial);
    await rename(partial, exportArchivePath(deps.exportDir, tenantId, exportId));
    return { sizeBytes: size, sha256: hash.digest("hex") };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** One table as NDJSON, streamed through a cursor so a big table never sits in memory. */
async function dumpTable(
  sql: TransactionSql,
  table: string,
  directory: string,
): Promise<ManifestEntry> {
  const file = `${table}.ndjson`;
  const out = createWriteStream(join(directory, file), { mode: 0o600 });
  const hash = createHash("sha256");
  let rows = 0;
  const write = (line: string) => {
    const buffer = Buffer.from(line, "utf8");
    hash.update(buffer);
    return out.write(buffer)
      ? undefined
      : new Promise<void>((resolve) => out.once("drain", () => resolve()));
  };
  try {
    const cursor = sql<{ line: string }[]>`
      select row_to_json(t)::text as line from ${sql(table)} t`.cursor(500);
    for await (const batch of cursor) {
      for (const row of batch) {
        await write(`${row.line}\n`);
        rows++;
      }
    }
  } finally {
    out.end();
    await finished(out);
  }
  return { table, file, rows, sha256: hash.digest("hex") };
}

/**
 * Removes archives past their expiry and marks them `expired`. Run by the provisioner's sweep.
 * The row goes first, so a download racing the removal finds it expired rather than a half
 * deleted file.
 */
export async function expireExports(
  deps: Pick<ExportDeps, "controlPlane" | "exportDir" | "logger">,
): Promise<number> {
  const expired = await expireDueExports(deps.controlPlane);
  for (const row of expired) {
    await rm(exportArchivePath(deps.exportDir, row.tenantId, row.id), { force: true });
  }
  if (expired.length > 0) deps.logger.info({ count: expired.length }, "exports expired");
  return expired.length;
}
