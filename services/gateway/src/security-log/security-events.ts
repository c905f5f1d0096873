import { cursorCodec, type Page, pageOf, type Sql } from "@oryn/shared";
import { listSecurityEventsOfTenant } from "@oryn/shared/control-plane/tables/audit-events";
import { z } from "zod";
import type { SecurityEvent } from "./schemas.ts";

/** Newest first, by the events' identity column (a bigint, carried as decimal digits). */
const eventCursor = cursorCodec(z.string().regex(/^\d{1,19}$/));

export function decodeEventCursor(cursor: string | undefined): string | undefined {
  return eventCursor.decode(cursor);
}

/**
 * The tenant's control-plane audit events (logins, members, invitations, API keys, deletion,
 * exports), with the account events of its current members that belong to no tenant (failed
 * logins, password and address changes) since they joined: a tenant's admins see what happens
 * to the accounts that can reach their data while they can, nothing of the accounts' past
 * (failed logins and their addresses, earlier emails) and nothing of other tenants.
 */
export async function listSecurityEvents(
  sql: Sql,
  tenantId: string,
  query: { limit: number; before: string | undefined; actor: string | undefined },
): Promise<Page<SecurityEvent>> {
  const rows = await listSecurityEventsOfTenant(sql, tenantId, {
    ...query,
    limit: query.limit + 1,
  });
  return pageOf(
    rows,
    query.limit,
    (last) => eventCursor.encode(String(last.id)),
    (row) => ({ ...row, id: String(row.id), at: row.at.toISOString() }),
  );
}
