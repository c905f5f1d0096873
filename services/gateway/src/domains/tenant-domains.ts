import type { Sql, TransactionSql } from "@oryn/shared";
import type { Row } from "@oryn/shared/control-plane/schema";
import { andAfterCreatedAt, createdAtCursorColumn } from "@oryn/shared/pages";

/**
 * The `tenant_domains` table: the domains a tenant claims, each verified once its TXT record is
 * read. The gateway manages them and reads the verified ones for SSO (which tenant a sign-in is
 * for, who must use it) and for SCIM (whose accounts a directory may create); the provisioner
 * deletes a deleted tenant's with the rest of it.
 */
export type TenantDomainRow = Pick<
  Row<"tenant_domains">,
  "id" | "domain" | "txtToken" | "status" | "verifiedAt" | "createdAt"
>;

type Db = Sql | TransactionSql;

export async function countTenantDomains(tx: TransactionSql, tenantId: string): Promise<number> {
  const [count] = await tx<{ n: number }[]>`
    select count(*)::int as n from tenant_domains where tenant_id = ${tenantId}`;
  return count?.n ?? 0;
}

/** A pending claim; undefined when the tenant has claimed the domain already. */
export async function insertTenantDomainIfAbsent(
  tx: TransactionSql,
  claim: Pick<Row<"tenant_domains">, "id" | "tenantId" | "domain" | "txtToken">,
): Promise<TenantDomainRow | undefined> {
  const [row] = await tx<TenantDomainRow[]>`
    insert into tenant_domains (id, tenant_id, domain, txt_token)
    values (${claim.id}, ${claim.tenantId}, ${claim.domain}, ${claim.txtToken})
    on conflict (tenant_id, domain) do nothing
    returning id, domain, txt_token, status, verified_at, created_at`;
  return row;
}

/**
 * Up to `limit` of the tenant's domains after the `after` cursor, oldest first, each with its
 * `created_at` as a cursor (microseconds since the epoch, as text).
 */
export async function listTenantDomainsAfter(
  sql: Sql,
  tenantId: string,
  after: [atMicros: string, id: string] | undefined,
  limit: number,
): Promise<(TenantDomainRow & { cursorAt: string })[]> {
  return sql<(TenantDomainRow & { cursorAt: string })[]>`
    select id, domain, txt_token, status, verified_at, created_at,
           ${createdAtCursorColumn(sql)}
    from tenant_domains where tenant_id = ${tenantId}
    ${andAfterCreatedAt(sql, after)}
    order by created_at, id limit ${limit}`;
}

/** Deletes one of the tenant's domains and answers what it was; undefined for no such domain. */
export async function deleteTenantDomain(
  tx: TransactionSql,
  tenantId: string,
  id: string,
): Promise<Pick<Row<"tenant_domains">, "domain" | "status"> | undefined> {
  const [row] = await tx<Pick<Row<"tenant_domains">, "domain" | "status">[]>`
    delete from tenant_domains where id = ${id} and tenant_id = ${tenantId}
    returning domain, status`;
  return row;
}

/** The tenant's domain; undefined for another tenant's, as for none. */
export async function findTenantDomain(
  sql: Sql,
  tenantId: string,
  id: string,
): Promise<TenantDomainRow | undefined> {
  const [claim] = await sql<TenantDomainRow[]>`
    select id, domain, txt_token, status, verified_at, created_at
    from tenant_domains where id = ${id} and tenant_id = ${tenantId}`;
  return claim;
}

/**
 * Makes pending again the domain's verified claims of other tenants that are deleting or deleted:
 * a claim proved now wins over theirs (their deletion removes them anyway).
 */
export async function releaseDomainOfLeavingTenants(
  tx: TransactionSql,
  domain: string,
  tenantId: string,
): Promise<void> {
  await tx`
      update tenant_domains set status = 'pending', verified_at = null
      where domain = ${domain} and status = 'verified' and tenant_id <> ${tenantId}
        and tenant_id in (select id from tenants where status in ('deleting', 'deleted'))`;
}

/**
 * Marks the tenant's claim verified now; undefined for no such claim. Throws the unique
 * violation (23505, `tenant_domains_verified_once`) when another tenant holds it verified.
 */
export async function markTenantDomainVerified(
  tx: TransactionSql,
  tenantId: string,
  id: string,
): Promise<TenantDomainRow | undefined> {
  const [row] = await tx<TenantDomainRow[]>`
        update tenant_domains set status = 'verified', verified_at = clock_timestamp()
        where id = ${id} and tenant_id = ${tenantId}
        returning id, domain, txt_token, status, verified_at, created_at`;
  return row;
}

/** Whether another tenant, not deleting or deleted, holds the domain verified. */
export async function isDomainVerifiedByAnotherTenant(
  sql: Sql,
  domain: string,
  tenantId: string,
): Promise<boolean> {
  const [holder] = await sql`
    select 1 from tenant_domains d join tenants t on t.id = d.tenant_id
    where d.domain = ${domain} and d.status = 'verified' and d.tenant_id <> ${tenantId}
      and t.status not in ('deleting', 'deleted')`;
  return holder !== undefined;
}

/** Whether the tenant holds the domain verified (whatever the tenant's status). */
export async function isDomainVerifiedByTenant(
  sql: Db,
  tenantId: string,
  domain: string,
): Promise<boolean> {
  const [verified] = await sql`
        select 1 from tenant_domains
        where tenant_id = ${tenantId} and domain = ${domain} and status = 'verified'`;
  return verified !== undefined;
}

/** The tenant, not deleting or deleted, that holds the domain verified. */
export async function findVerifiedDomainTenant(
  sql: Sql,
  domain: string,
): Promise<string | undefined> {
  const [row] = await sql<Pick<Row<"tenant_domains">, "tenantId">[]>`
      select d.tenant_id from tenant_domains d join tenants t on t.id = d.tenant_id
      where d.domain = ${domain} and d.status = 'verified' and t.status not in ('deleting', 'deleted')`;
  return row?.tenantId;
}

/**
 * The tenant, not deleting or deleted, that holds the domain verified and has an enabled SSO
 * connection that enforces sign-in by it; `owner`: the person owns some tenant not deleting or
 * deleted (owners keep their password). Undefined when no tenant enforces SSO on the domain.
 */
export async function findSsoEnforcingDomainTenant(
  sql: Db,
  domain: string,
  userId: string,
): Promise<{ tenantId: string; owner: boolean } | undefined> {
  const [row] = await sql<{ tenantId: string; owner: boolean }[]>`
    select d.tenant_id,
           exists (select 1 from memberships m join tenants o on o.id = m.tenant_id
                   where m.user_id = ${userId} and m.role = 'owner'
                     and o.status not in ('deleting', 'deleted')) as owner
    from tenant_domains d join tenants t on t.id = d.tenant_id
    where d.domain = ${domain} and d.status = 'verified'
      and t.status not in ('deleting', 'deleted')
      and exists (select 1 from sso_connections c
                  where c.tenant_id = d.tenant_id and c.enforce and c.status = 'enabled')`;
  return row;
}
