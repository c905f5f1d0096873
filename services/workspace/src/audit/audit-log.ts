import { cursorCodec, type Page, pageOf, type Sql, type TransactionSql } from "@oryn/shared";
import { z } from "zod";
import type { AuditEntry, ChainReport } from "./schemas.ts";

type AuditRow = {
  id: string;
  at: Date;
  actorId: string | null;
  action: AuditEntry["action"];
  entity: string;
  entityId: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  requestId: string | null;
};

/** The row snapshots keep their column names; the API speaks camelCase (docs/api.md). */
function camelKeys(row: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!row) return null;
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => [
      key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase()),
      value,
    ]),
  );
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actorId: row.actorId,
    action: row.action,
    entity: row.entity,
    entityId: row.entityId,
    before: camelKeys(row.before),
    after: camelKeys(row.after),
    requestId: row.requestId,
  };
}

// Cursors are the last id seen: ids only grow, and newest-first paging continues below it.
const auditCursor = cursorCodec(z.string().regex(/^[1-9]\d{0,17}$/));

export type AuditFilter = {
  entity?: string | undefined;
  actor?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
};

/** Newest first. Entries written between pages appear on no later page: they are newer. */
export async function listAuditLog(
  sql: Sql,
  filter: AuditFilter,
  page: { limit: number; cursor: string | undefined },
): Promise<Page<AuditEntry>> {
  const before = auditCursor.decode(page.cursor);
  const rows = await sql<AuditRow[]>`
    select id::text as id, at, actor_id, action, entity, entity_id, before, after, request_id
    from audit_log
    where true
    ${filter.entity ? sql`and entity = ${filter.entity}` : sql``}
    ${filter.actor ? sql`and actor_id = ${filter.actor}` : sql``}
    ${filter.from ? sql`and at >= ${filter.from}::timestamptz` : sql``}
    ${filter.to ? sql`and at < ${filter.to}::timestamptz` : sql``}
    ${before ? sql`and id < ${before}::bigint` : sql``}
    order by audit_log.id desc
    limit ${page.limit + 1}`;
  return pageOf(rows, page.limit, (last) => auditCursor.encode(last.id), toEntry);
}

/**
 * Walks the chain in id order and recomputes every hash with the same SQL function the trigger
 * used. The first row whose content no longer matches its hash, or whose link does not match the
 * row before it, is named; so is a chain head pointing past the last row (rows removed at the end).
 */
export async function verifyAuditChain(sql: Sql): Promise<ChainReport> {
  // One snapshot for the three reads: a write committing between them would otherwise look like
  // a chain head pointing past the last row.
  return sql.begin("isolation level repeatable read read only", (tx) => verifyIn(tx));
}

async function verifyIn(sql: TransactionSql): Promise<ChainReport> {
  const [firstBroken] = await sql<{ id: string; contentChanged: boolean }[]>`
    with chain as (
      select id, prev_hash, hash, lag(hash) over (order by id) as previous_hash,
             oryn_audit_hash(prev_hash, id, at, actor_id, request_id, action, entity, entity_id,
                             before, after) as recomputed
      from audit_log
    )
    select id::text as id, hash is distinct from recomputed as content_changed from chain
    where hash is distinct from recomputed or prev_hash is distinct from previous_hash
    order by chain.id limit 1`;
  const [counts] = await sql<{ checked: number; lastId: string | null; lastHash: Buffer | null }[]>`
    select count(*)::int as checked, max(id)::text as last_id,
           (select hash from audit_log order by id desc limit 1) as last_hash
    from audit_log`;
  const [head] = await sql<{ lastId: string | null; lastHash: Buffer | null }[]>`
    select last_id::text as last_id, last_hash from audit_chain_head`;
  const checked = counts?.checked ?? 0;
  if (firstBroken) {
    return {
      ok: false,
      checked,
      firstBrokenId: firstBroken.id,
      reason: firstBroken.contentChanged
        ? "the row's content no longer matches its hash: it was changed"
        : "the row does not link to the row before it: a row before it was removed or inserted",
    };
  }
  const headMatches =
    head?.lastId === counts?.lastId &&
    (head?.lastHash ?? null)?.toString("hex") === (counts?.lastHash ?? null)?.toString("hex");
  if (!headMatches) {
    return {
      ok: false,
      checked,
      firstBrokenId: head?.lastId ?? null,
      reason: "the chain's head names a row that is not the last one: rows at the end were removed",
    };
  }
  return { ok: true, checked, firstBrokenId: null, reason: null };
}
