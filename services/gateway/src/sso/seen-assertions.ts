import type { Sql } from "@oryn/shared";

/**
 * The `sso_seen_assertions` table: the SAML assertions a connection accepted, each kept until it
 * could no longer be replayed (its `NotOnOrAfter`), so a second acceptance of one is refused.
 * Only the gateway's SAML sign-in touches it; rows go with their connection.
 */

/** Records the assertion as accepted; false when it was accepted before (a replay). */
export async function recordSeenAssertion(
  sql: Sql,
  connectionId: string,
  assertionId: string,
  expiresAt: Date,
): Promise<boolean> {
  const [first] = await sql`
      insert into sso_seen_assertions (connection_id, assertion_id, expires_at)
      values (${connectionId}, ${assertionId}, ${expiresAt})
      on conflict do nothing returning 1`;
  return first !== undefined;
}

/** Deletes up to 100 records of assertions that can no longer be replayed. */
export async function pruneExpiredSeenAssertions(sql: Sql): Promise<void> {
  await sql`
      delete from sso_seen_assertions where (connection_id, assertion_id) in (
        select connection_id, assertion_id from sso_seen_assertions
        where expires_at < clock_timestamp() limit 100)`;
}
