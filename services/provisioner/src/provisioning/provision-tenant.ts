import {
  findTenant,
  type Logger,
  migrate,
  type Sql,
  tenantDatabaseName,
  tenantMigrations,
  tenantRolePassword,
} from "@oryn/shared";
import { type StepName, stepNames } from "./steps.ts";
import {
  ensureTemplate,
  ensureTenantDatabase,
  ensureTenantRole,
  grantTenantAccess,
  withDatabaseConnection,
} from "./tenant-database.ts";

export type ProvisioningDeps = {
  controlPlane: Sql;
  /** Admin connection to the tenant server's maintenance database. */
  admin: Sql;
  adminUrl: string;
  template: string;
  passwordSecret: string;
  logger: Logger;
  /** Tests use this to fail a given step; production leaves it unset. */
  beforeStep?: (step: StepName) => Promise<void> | void;
};

export { type StepName, stepNames } from "./steps.ts";

/**
 * Every step checks what exists before it acts, so a job killed or failed anywhere is retried to
 * the same end: one role, one database, the tenant active.
 */
const steps: Record<StepName, (deps: ProvisioningDeps, tenantId: string) => Promise<void>> = {
  prepare_template: (deps) => prepareTemplate(deps),
  create_role: (deps, tenantId) =>
    ensureTenantRole(deps.admin, tenantId, tenantRolePassword(deps.passwordSecret, tenantId)),
  create_database: (deps, tenantId) =>
    ensureTenantDatabase(deps.admin, deps.controlPlane, tenantId, deps.template),
  migrate: async (deps, tenantId) => {
    // The clone is as new as the template; this applies anything newer than it.
    const { version } = await withDatabaseConnection(
      deps.adminUrl,
      tenantDatabaseName(tenantId),
      (sql) => migrate(sql, tenantMigrations),
    );
    await deps.controlPlane`update tenants set schema_version = ${version} where id = ${tenantId}`;
  },
  grant_access: (deps, tenantId) => grantTenantAccess(deps.admin, tenantId),
  activate: async (deps, tenantId) => {
    await deps.controlPlane`
      update tenants
      set status = 'active', provisioning_step = 'done', provisioning_error = null, provisioning_error_detail = null,
          activated_at = now(), updated_at = now()
      where id = ${tenantId} and status = 'provisioning'`;
  },
};

// Migrating a template once per process is enough: later migrations reach new tenants through
// the `migrate` step until the next process start brings the template forward. Keyed by server
// and template, so a process serving several of either prepares each.
const templatesReady = new Map<string, Promise<void>>();

export function prepareTemplate(deps: ProvisioningDeps): Promise<void> {
  const key = `${deps.adminUrl} ${deps.template}`;
  let ready = templatesReady.get(key);
  if (!ready) {
    ready = ensureTemplate(deps.admin, deps.controlPlane, deps.template, async () => {
      const { applied, version } = await withDatabaseConnection(
        deps.adminUrl,
        deps.template,
        (sql) => migrate(sql, tenantMigrations),
      );
      deps.logger.info({ template: deps.template, applied, version }, "tenant template ready");
    }).catch((error: unknown) => {
      templatesReady.delete(key);
      throw error;
    });
    templatesReady.set(key, ready);
  }
  return ready;
}

export type ProvisioningOutcome = "activated" | "already_done" | "no_such_tenant";

export async function provisionTenant(
  deps: ProvisioningDeps,
  tenantId: string,
  attempt: number,
): Promise<ProvisioningOutcome> {
  const tenant = await findTenant(deps.controlPlane, tenantId);
  if (!tenant) return "no_such_tenant";
  if (tenant.status !== "provisioning") return "already_done";
  for (const step of stepNames) {
    await deps.controlPlane`
      update tenants set provisioning_step = ${step}, provisioning_attempts = ${attempt}, updated_at = now()
      where id = ${tenantId}`;
    await deps.beforeStep?.(step);
    await steps[step](deps, tenantId);
  }
  return "activated";
}

/** Records why an attempt failed; after the last one the tenant is `provisioning_failed`. */
export async function recordProvisioningFailure(
  controlPlane: Sql,
  tenantId: string,
  error: unknown,
  final: boolean,
): Promise<void> {
  // The tenant reads `provisioning_error` in GET /v1/tenant: it names the step, never the
  // underlying error, which can carry server names and addresses. That goes to the detail column.
  const detail = error instanceof Error ? error.message : String(error);
  await controlPlane`
    update tenants
    set provisioning_error = case
          when ${final} then 'Provisioning stopped at step ' || coalesce(provisioning_step, 'unknown') || ' after the last attempt'
          else 'Step ' || coalesce(provisioning_step, 'unknown') || ' failed; it will be retried'
        end,
        provisioning_error_detail = ${detail.slice(0, 2000)},
        status = case when ${final} and status = 'provisioning' then 'provisioning_failed' else status end,
        updated_at = now()
    where id = ${tenantId}`;
}
