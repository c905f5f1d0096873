import { join } from "node:path";

/**
 * Where a tenant export's archive lives under EXPORT_DIR: the provisioner writes it, the gateway
 * streams it. Built from our own ids only (the tenant's from a verified token, the export's from
 * its row), never from a string a client sent, so no path can leave EXPORT_DIR.
 */
export function exportArchivePath(exportDir: string, tenantId: string, exportId: string): string {
  return join(exportDir, tenantId, `${exportId}.tar.gz`);
}
