import { randomBytes, randomUUID } from "node:crypto";
import { ApiError, type Page, type Sql, type TransactionSql } from "@oryn/shared";
import { lockTenant } from "@oryn/shared/control-plane/tables/tenants";
import { createdAtPage } from "@oryn/shared/pages";
import { recordCallerEvent } from "../audit/audit-events.ts";
import type { Caller } from "../lib/request.ts";
import type { TxtReader } from "./dns-proof.ts";
import { normaliseDomain } from "./names.ts";
import type { Domain } from "./schemas.ts";
import {
  countTenantDomains,
  deleteTenantDomain,
  findTenantDomain,
  insertTenantDomainIfAbsent,
  isDomainVerifiedByAnotherTenant,
  listTenantDomainsAfter,
  markTenantDomainVerified,
  releaseDomainOfLeavingTenants,
  type TenantDomainRow,
} from "./tenant-domains.ts";

/** The name a tenant publishes its proof at, under the claimed domain. */
export const txtNameOf = (domain: string) => `_oryn-verification.${domain}`;
const txtValueOf = (token: string) => `oryn-verification=${token}`;

function toDomain(row: TenantDomainRow): Domain {
  return {
    id: row.id,
    domain: row.domain,
    status: row.status,
    txtName: txtNameOf(row.domain),
    txtValue: txtValueOf(row.txtToken),
    verifiedAt: row.verifiedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/** At most this many domains per tenant, pending and verified: a claim costs DNS lookups. */
const maxDomainsPerTenant = 50;

/**
 * A claim, pending until its TXT record is read. Claims of one domain by several tenants may
 * coexist: claiming first blocks nobody; only verifying does.
 */
export async function createDomain(
  tx: TransactionSql,
  caller: Caller,
  input: { domain: string },
): Promise<Domain> {
  const domain = normaliseDomain(input.domain);
  if (!domain) {
    throw new ApiError("validation_failed", {
      detail: "Give a domain your organisation owns, such as acme.com (not a public suffix)",
      errors: [{ path: "domain", message: "not a domain a tenant can claim" }],
    });
  }
  const tenantId = caller.principal.tenantId;
  await lockTenant(tx, tenantId);
  if ((await countTenantDomains(tx, tenantId)) >= maxDomainsPerTenant) {
    throw new ApiError("conflict", { detail: `At most ${maxDomainsPerTenant} domains per tenant` });
  }
  const id = randomUUID();
  const row = await insertTenantDomainIfAbsent(tx, {
    id,
    tenantId,
    domain,
    txtToken: randomBytes(24).toString("base64url"),
  });
  if (!row)
    throw new ApiError("conflict", { detail: "The tenant has claimed this domain already" });
  await recordCallerEvent(tx, caller, {
    action: "created",
    entity: "domain",
    entityId: id,
    data: { domain },
  });
  return toDomain(row);
}

export async function listDomains(
  sql: Sql,
  tenantId: string,
  page: { limit: number; after: [atMicros: string, id: string] | undefined },
): Promise<Page<Domain>> {
  const rows = await listTenantDomainsAfter(sql, tenantId, page.after, page.limit + 1);
  return createdAtPage(rows, page.limit, (row) => toDomain(row));
}

export async function deleteDomain(tx: TransactionSql, caller: Caller, id: string): Promise<void> {
  const row = await deleteTenantDomain(tx, caller.principal.tenantId, id);
  if (!row) throw new ApiError("not_found");
  await recordCallerEvent(tx, caller, {
    action: "deleted",
    entity: "domain",
    entityId: id,
    data: { domain: row.domain, status: row.status },
  });
}

/**
 * Reads the claim's TXT record and, when it holds the claim's value, marks the domain verified.
 * Another tenant's verified claim wins: 409 `domain_taken`, checked before the lookup and again
 * by the unique index when two tenants verify at once.
 */
export async function verifyDomain(
  sql: Sql,
  caller: Caller,
  id: string,
  readTxt: TxtReader,
): Promise<Domain> {
  const tenantId = caller.principal.tenantId;
  const claim = await findTenantDomain(sql, tenantId, id);
  if (!claim) throw new ApiError("not_found");
  if (claim.status === "verified") return toDomain(claim);
  await assertNotTaken(sql, claim.domain, tenantId);

  const answer = await readTxt(txtNameOf(claim.domain));
  if (!answer.ok && answer.reason === "unavailable") {
    throw new ApiError("upstream_unavailable", {
      detail: `DNS did not answer for ${txtNameOf(claim.domain)} (${answer.code}): try again later`,
    });
  }
  if (!answer.ok || !answer.values.includes(txtValueOf(claim.txtToken))) {
    throw new ApiError("domain_not_verified", {
      detail: `No TXT record at ${txtNameOf(claim.domain)} holds ${txtValueOf(claim.txtToken)}`,
    });
  }
  return sql.begin(async (tx) => {
    let row: TenantDomainRow | undefined;
    // A claim left verified by a tenant being deleted yields to one proved now (the deletion
    // removes it anyway; the unique index would otherwise refuse this one until then).
    await releaseDomainOfLeavingTenants(tx, claim.domain, tenantId);
    try {
      row = await markTenantDomainVerified(tx, tenantId, id);
    } catch (error) {
      // tenant_domains_verified_once: another tenant verified it between our check and now.
      if ((error as { code?: string }).code === "23505") throw new ApiError("domain_taken");
      throw error;
    }
    if (!row) throw new ApiError("not_found");
    await recordCallerEvent(tx, caller, {
      action: "verified",
      entity: "domain",
      entityId: id,
      data: { domain: row.domain },
    });
    return toDomain(row);
  });
}

async function assertNotTaken(sql: Sql, domain: string, tenantId: string): Promise<void> {
  if (await isDomainVerifiedByAnotherTenant(sql, domain, tenantId))
    throw new ApiError("domain_taken");
}
