import { isIP } from "node:net";
import type { Sql, TransactionSql } from "@oryn/shared";
import { insertAuditEvent } from "@oryn/shared/control-plane/tables/audit-events";

/** Where a control-plane change came from; the user agent is kept with sessions, not audited. */
export type AuditContext = { requestId: string; ip: string; userAgent?: string | undefined };

/** Control-plane audit: who did what to which tenant, from where, in which request. */
export async function recordAuditEvent(
  sql: Sql | TransactionSql,
  context: AuditContext,
  event: {
    tenantId: string | null;
    actorId: string | null;
    action: string;
    entity: string;
    entityId: string | null;
    data?: Record<string, unknown>;
  },
): Promise<void> {
  // Only an address is kept: the column is text, and the client IP once came from a header
  // anyone could write into.
  const ip = isIP(context.ip) === 0 ? null : context.ip;
  await insertAuditEvent(sql, { ...event, ip, requestId: context.requestId });
}

/** An event the caller made in their own tenant: the tenant and actor are the caller's. */
export function recordCallerEvent(
  sql: Sql | TransactionSql,
  caller: AuditContext & { principal: { tenantId: string; userId: string } },
  event: { action: string; entity: string; entityId: string; data?: Record<string, unknown> },
): Promise<void> {
  return recordAuditEvent(sql, caller, {
    tenantId: caller.principal.tenantId,
    actorId: caller.principal.userId,
    ...event,
  });
}
