import type { OperatorTenant } from "../tenants/operator-view.ts";

/** The control plane's view of a tenant as the operator API answers it. */
export function toOperatorTenant(tenant: OperatorTenant) {
  return {
    id: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    status: tenant.status,
    plan: tenant.plan,
    server: tenant.server,
    schemaVersion: tenant.schemaVersion,
    provisioning: {
      step: tenant.provisioningStep,
      attempts: tenant.provisioningAttempts,
      error: tenant.provisioningError,
      errorDetail: tenant.provisioningErrorDetail,
    },
    createdAt: tenant.createdAt.toISOString(),
    updatedAt: tenant.updatedAt.toISOString(),
    activatedAt: tenant.activatedAt?.toISOString() ?? null,
  };
}
