import type { Logger, Principal, Sql, TransactionSql } from "@oryn/shared";
import type { Row } from "@oryn/shared/control-plane/schema";
import { listSessionsEndedSince } from "../sessions/sessions.ts";

/**
 * Access tokens are verified without a database round trip, so a removed member's token would
 * work until it expires. Removing a member or changing their role writes a revocation (in the
 * same transaction): the lowest membership version still good for that (tenant, user). Each
 * gateway process polls them into memory every `pollMs` and refuses older tokens, so the hot
 * path costs a map lookup and a revocation takes effect within about one poll.
 *
 * Ended sessions (logout, a session ended by its owner, a replayed refresh token) are read the
 * same way from `sessions.ended_at`: a person's token names its session (`sid`), and a token of
 * an ended session is refused.
 *
 * The `access_revocations` table's queries are here: the gateway writes, polls and prunes it. A
 * tenant's deletion also writes it (control-plane/tenant-deletion.ts and the provisioner's
 * delete-tenant.ts), in the cascade written there.
 */
export type Revocations = {
  isRevoked(principal: Principal): boolean;
  /** Reads new revocations now (the poll does this every `pollMs`). */
  refresh(): Promise<void>;
  close(): void;
};

/** Revokes every access token a user holds in a tenant; a later membership gets a new version. */
export async function revokeAccess(
  tx: TransactionSql,
  tenantId: string,
  userId: string,
  minVersion?: number,
): Promise<void> {
  await tx`
    insert into access_revocations (tenant_id, user_id, min_version)
    values (${tenantId}, ${userId}, ${minVersion ?? tx`nextval('membership_versions')`})`;
}

export function createRevocations(options: {
  sql: Sql;
  logger: Logger;
  pollMs: number;
  /** Revocations older than the longest access-token lifetime have nothing left to refuse. */
  accessTtlSeconds: number;
}): Revocations {
  const { sql } = options;
  const minVersions = new Map<string, { minVersion: number; at: number }>();
  const endedSessions = new Map<string, number>();
  const keep = (options.accessTtlSeconds + 60) * 1000;
  // Rows are read again with an overlap: a transaction that started earlier can commit after a
  // poll that already saw later rows, and applying a revocation twice changes nothing.
  const overlapMs = 30_000;
  // Times are the database's, so a clock skew between this host and it cannot hide a row.
  let since: Date | undefined;
  let polling: Promise<void> | undefined;
  let pollAgain: Promise<void> | undefined;

  async function poll(): Promise<void> {
    const [clock] = await sql<{ now: Date }[]>`select now()`;
    const started = clock?.now.getTime() ?? Date.now();
    const from = since ?? new Date(started - keep);
    const rows = await listRevocationsSince(sql, from);
    for (const row of rows) {
      const key = `${row.tenantId}:${row.userId}`;
      const minVersion = Number(row.minVersion);
      const known = minVersions.get(key);
      if (!known || known.minVersion < minVersion) {
        minVersions.set(key, { minVersion, at: row.at.getTime() });
      }
    }
    const ended = await listSessionsEndedSince(sql, from);
    for (const row of ended) endedSessions.set(row.id, row.at.getTime());
    for (const [key, entry] of minVersions) if (started - entry.at > keep) minVersions.delete(key);
    for (const [id, at] of endedSessions) if (started - at > keep) endedSessions.delete(id);
    since = new Date(started - overlapMs);
  }

  // A poll already running may have read before the caller's revocation committed: the caller
  // then waits for one more poll after it (shared by everyone who asks meanwhile).
  const refresh = (): Promise<void> => {
    if (!polling) {
      polling = poll().finally(() => {
        polling = undefined;
      });
      return polling;
    }
    pollAgain ??= polling
      .catch(() => undefined)
      .then(() => {
        pollAgain = undefined;
        return refresh();
      });
    return pollAgain;
  };
  const timer = setInterval(() => {
    refresh().catch((error: unknown) =>
      options.logger.warn({ err: error }, "could not read access revocations; will retry"),
    );
  }, options.pollMs);
  timer.unref();
  // Rows past every token's lifetime refuse nothing: they are dropped every ten minutes (by
  // every gateway; deleting rows already gone costs nothing).
  const pruning = setInterval(() => {
    pruneRevocations(sql, options.accessTtlSeconds).catch((error: unknown) =>
      options.logger.warn({ err: error }, "could not prune access revocations"),
    );
  }, 10 * 60_000);
  pruning.unref();

  return {
    isRevoked(principal) {
      if (principal.kind !== "user") return false;
      if (principal.sessionId !== undefined && endedSessions.has(principal.sessionId)) return true;
      const entry = minVersions.get(`${principal.tenantId}:${principal.userId}`);
      return entry !== undefined && principal.membershipVersion < entry.minVersion;
    },
    refresh,
    close: () => {
      clearInterval(timer);
      clearInterval(pruning);
    },
  };
}

/** A revocation as the poll reads it: `at` is when it was recorded. */
type RevocationRow = Pick<Row<"access_revocations">, "tenantId" | "userId" | "minVersion"> & {
  at: Date;
};

/** Revocations recorded after `from` (the poll, every `pollMs` in every gateway). */
async function listRevocationsSince(sql: Sql, from: Date): Promise<RevocationRow[]> {
  return sql<RevocationRow[]>`
    select tenant_id, user_id, min_version, created_at as at from access_revocations
    where created_at > ${from}`;
}

/** Revocations past every token's lifetime (with an hour to spare). */
async function pruneRevocations(sql: Sql, accessTtlSeconds: number): Promise<void> {
  await sql`
    delete from access_revocations
    where created_at < now() - make_interval(secs => ${accessTtlSeconds + 3600})`;
}
