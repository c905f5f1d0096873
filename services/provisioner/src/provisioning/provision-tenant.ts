import {
  type Logger,
  latestVersion,
  migrate,
  type Sql,
  tenantDatabaseName,
  tenantMigrations,
  tenantRolePassword,
} from "@oryn/shared";
import {
  activateTenant,
  findTenant,
  findTenantSchemaVersion,
  setTenantProvisioningError,
  setTenantProvisioningStep,
  setTenantSchemaVersion,
} from "@oryn/shared/control-plane/tables/tenants";
// The console shows the same steps: the list lives in packages/shared for both.
import { type StepName, stepNames } from "@oryn/shared/provisioning-steps";
import type { ServerAdmin, ServerAdmins } from "../servers/admins.ts";
import { placeTenant, tenantPlacement } from "../servers/placement.ts";
import { claimSpare } from "../spares/claim-spare.ts";
import {
  databaseExists,
  ensureTemplate,
  ensureTenantDatabase,
  ensureTenantRole,
  grantTenantAccess,
  withDatabaseConnection,
} from "./tenant-database.ts";

export type ProvisioningDeps = {
  controlPlane: Sql;
  /** Admin connection to the TENANT_DATABASE_URL server's maintenance database. */
  admin: Sql;
  adminUrl: string;
  /** Admin pools for registered servers; without it every tenant goes to `admin`. */
  servers?: ServerAdmins;
  template: string;
  /** The tenant migration history; default packages/shared/src/migrations/tenant. */
  migrations?: string;
  passwordSecret: string;
  logger: Logger;
  /**
   * The warm pool (TENANT_SPARE_DATABASES > 0): `create_database` first tries to claim a ready
   * spare, and tells the pool when it did so that it refills. Unset: every tenant is cloned.
   */
  spares?: { claimed(): void };
  /** Tests use this to fail a given step; production leaves it unset. */
  beforeStep?: (step: StepName) => Promise<void> | void;
  /** Tests use this to die between a spare's claim and its rename; production leaves it unset. */
  afterSpareClaimed?: () => void;
};

/**
 * Every step checks what exists before it acts, so a job killed or failed anywhere is retried to
 * the same end: one role, one database, the tenant active.
 */
type Step = (deps: ProvisioningDeps, tenantId: string, target: ServerAdmin) => Promise<void>;

const steps: Record<StepName, Step> = {
  // Placement is recorded before anything is created, so a retry builds on the same server.
  place: async (deps, tenantId) => {
    await placeTenant(deps.controlPlane, tenantId);
  },
  prepare_template: (deps, _tenantId, target) => prepareTemplate(deps, target),
  create_role: (deps, tenantId, target) =>
    ensureTenantRole(target.admin, tenantId, tenantRolePassword(deps.passwordSecret, tenantId)),
  create_database: async (deps, tenantId, target) => {
    // A spare renamed is the database a clone would be, made ahead; without one,
    // ensureTenantDatabase clones what is missing and revokes PUBLIC as ever.
    // Asked even with the pool off: a claim an earlier attempt recorded (the pool was on then)
    // is finished, not left holding its spare; only new claims need the pool.
    const claimed = await claimSpare(deps.controlPlane, target.admin, tenantId, {
      takeNew: deps.spares !== undefined,
      ...(deps.afterSpareClaimed ? { afterClaim: deps.afterSpareClaimed } : {}),
    });
    if (claimed) {
      // The spare's ACL was set when it was made (PUBLIC revoked) and a rename keeps it.
      deps.spares?.claimed();
      return;
    }
    if (!(await databaseExists(target.admin, tenantDatabaseName(tenantId)))) {
      // A clone about to be made is only as new as the template: whatever the row says (a
      // retried tenant whose database an operator removed), the migrate step must look.
      await setTenantSchemaVersion(deps.controlPlane, tenantId, 0);
    }
    await ensureTenantDatabase(target.admin, deps.controlPlane, tenantId, deps.template);
  },
  migrate: async (deps, tenantId, target) => {
    const migrations = deps.migrations ?? tenantMigrations;
    // A claimed spare arrives recorded at the version it was migrated to (kept true by fleet
    // migrations): at this release's latest there is nothing to apply, and opening a connection
    // to find that out was the largest part of a claimed signup. (A clone's row says 0 until this
    // step has run on it.)
    const recorded = await findTenantSchemaVersion(deps.controlPlane, tenantId);
    if ((recorded ?? 0) >= latestOf(migrations)) return;
    // The clone is as new as the template; this applies anything newer than it.
    const { version } = await withDatabaseConnection(
      target.adminUrl,
      tenantDatabaseName(tenantId),
      (sql) => migrate(sql, migrations),
    );
    await setTenantSchemaVersion(deps.controlPlane, tenantId, version);
  },
  grant_access: (_deps, tenantId, target) => grantTenantAccess(target.admin, tenantId),
  activate: (deps, tenantId) => activateTenant(deps.controlPlane, tenantId),
};

// The migration files do not change while a process runs: read each directory once.
const latestVersions = new Map<string, number>();
function latestOf(migrations: string): number {
  let latest = latestVersions.get(migrations);
  if (latest === undefined) {
    latest = latestVersion(migrations);
    latestVersions.set(migrations, latest);
  }
  return latest;
}

/** Where a tenant's database is (or goes): its placement's server, else TENANT_DATABASE_URL's. */
export async function tenantServerAdmin(
  deps: ProvisioningDeps,
  tenantId: string,
): Promise<ServerAdmin> {
  const placement = deps.servers ? await tenantPlacement(deps.controlPlane, tenantId) : null;
  return deps.servers?.forPlacement(placement) ?? { admin: deps.admin, adminUrl: deps.adminUrl };
}

// Migrating a template once per process is enough: later migrations reach new tenants through
// the `migrate` step until the next process start brings the template forward. Keyed by server
// and template, so a process serving several of either prepares each.
const templatesReady = new Map<string, Promise<void>>();

export function prepareTemplate(
  deps: ProvisioningDeps,
  target: ServerAdmin = { admin: deps.admin, adminUrl: deps.adminUrl },
): Promise<void> {
  const key = `${target.adminUrl} ${deps.template}`;
  let ready = templatesReady.get(key);
  if (!ready) {
    ready = ensureTemplate(target.admin, deps.controlPlane, deps.template, async () => {
      const { applied, version } = await withDatabaseConnection(
        target.adminUrl,
        deps.template,
        (sql) => migrate(sql, deps.migrations ?? tenantMigrations),
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
  // Looked up once `place` has decided it (a retried job finds it recorded); placement never
  // changes while a tenant is provisioning.
  let target: ServerAdmin | undefined;
  const unplaced: ServerAdmin = { admin: deps.admin, adminUrl: deps.adminUrl };
  for (const step of stepNames) {
    await setTenantProvisioningStep(deps.controlPlane, tenantId, step, attempt);
    await deps.beforeStep?.(step);
    if (step !== "place") target ??= await tenantServerAdmin(deps, tenantId);
    await steps[step](deps, tenantId, target ?? unplaced);
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
  await setTenantProvisioningError(controlPlane, tenantId, detail, final);
}
