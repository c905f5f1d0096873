import type { Sql, TransactionSql } from "../database.ts";

export const tenantStatuses = [
  "provisioning",
  "provisioning_failed",
  "active",
  "restricted",
  "deleting",
  "deleted",
] as const;
export type TenantStatus = (typeof tenantStatuses)[number];

export type TenantRow = {
  id: string;
  slug: string;
  name: string;
  status: TenantStatus;
  plan: string;
  provisioningStep: string | null;
  provisioningAttempts: number;
  provisioningError: string | null;
  schemaVersion: number;
  /** Set while an operator moves the tenant to another server: writes wait. */
  movingSince: Date | null;
  /** Set while `deleting`: when the data is dropped unless an operator restores the tenant. */
  deleteAfter: Date | null;
  /** Members must have a second factor to do anything but manage their own account. */
  mfaRequired: boolean;
  createdAt: Date;
  updatedAt: Date;
};

export async function findTenant(
  sql: Sql | TransactionSql,
  id: string,
): Promise<TenantRow | undefined> {
  const [row] = await sql<TenantRow[]>`
    select id, slug, name, status, plan, provisioning_step, provisioning_attempts,
           provisioning_error, schema_version, moving_since, delete_after, mfa_required, created_at,
           updated_at
    from tenants where id = ${id}`;
  return row;
}
