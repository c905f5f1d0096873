/**
 * `pnpm audit:verify <tenant id or slug>`: checks a tenant's audit-log hash chain as the
 * platform's admin (TENANT_DATABASE_URL), not through the API, and names the first broken row.
 * Exit status: 0 intact, 1 broken, 2 the tenant or its database cannot be found or reached.
 */
import {
  ConfigError,
  connect,
  isUuid,
  loadDotEnv,
  parseConfig,
  tenantDatabaseName,
  withDatabase,
} from "@oryn/shared";
import { findTenantAndServer } from "@oryn/shared/control-plane/tables/tenants";
import { auditVerifyEnv } from "../env.ts";
import { verifyAuditChain } from "./audit-log.ts";

loadDotEnv();
let config: { DATABASE_URL: string; TENANT_DATABASE_URL: string };
try {
  config = parseConfig(auditVerifyEnv);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const wanted = process.argv[2]?.trim().toLowerCase();
if (!wanted) {
  console.error("usage: pnpm audit:verify <tenant id or slug>");
  process.exit(2);
}

const controlPlane = connect(config.DATABASE_URL, { max: 1, applicationName: "oryn-audit-verify" });
let tenantId: string | undefined;
// The admin credentials of TENANT_DATABASE_URL, on the server the tenant lives on (the
// registry's host and port; none for a tenant placed before servers were registered).
let adminUrl = config.TENANT_DATABASE_URL;
try {
  const tenant = await findTenantAndServer(
    controlPlane,
    isUuid(wanted) ? { id: wanted } : { slug: wanted },
  );
  tenantId = tenant?.id;
  if (tenant?.host && tenant.port) {
    const url = new URL(adminUrl);
    url.hostname = tenant.host;
    url.port = String(tenant.port);
    adminUrl = url.toString();
  }
} finally {
  await controlPlane.end();
}
if (!tenantId) {
  console.error(`audit:verify: no tenant ${JSON.stringify(wanted)}`);
  process.exit(2);
}

const tenantDb = connect(withDatabase(adminUrl, tenantDatabaseName(tenantId)), {
  max: 1,
  applicationName: "oryn-audit-verify",
});
try {
  const report = await verifyAuditChain(tenantDb);
  console.log(JSON.stringify({ tenantId, ...report }));
  if (report.ok) {
    console.error(`audit log of ${tenantId} intact: ${report.checked} rows checked`);
  } else {
    console.error(
      `audit log of ${tenantId} BROKEN at row ${report.firstBrokenId}: ${report.reason} (${report.checked} rows checked)`,
    );
  }
  process.exitCode = report.ok ? 0 : 1;
} catch (error) {
  console.error(`audit:verify: cannot check ${tenantId}: ${(error as Error).message}`);
  process.exitCode = 2;
} finally {
  await tenantDb.end();
}
