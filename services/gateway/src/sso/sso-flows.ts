import type { Sql } from "@oryn/shared";
import type { Row } from "@oryn/shared/control-plane/schema";

/**
 * The `sso_flows` table: the sign-ins started and not yet finished, by their `state` (the id),
 * each with the tenant and connection it is for and what the IdP's answer is checked against.
 * Only the gateway's SSO sign-in touches it; rows go with their connection.
 */

/** What a flow holds from its start to its end. */
type SsoFlow = Pick<
  Row<"sso_flows">,
  | "id"
  | "tenantId"
  | "connectionId"
  | "codeVerifier"
  | "nonce"
  | "samlRequestId"
  | "redirectUri"
  | "appState"
>;

/** A new flow, expiring `ttlSeconds` from now. */
export async function insertSsoFlow(sql: Sql, flow: SsoFlow, ttlSeconds: number): Promise<void> {
  await sql`
    insert into sso_flows (id, tenant_id, connection_id, code_verifier, nonce, saml_request_id,
                           redirect_uri, app_state, expires_at)
    values (${flow.id}, ${flow.tenantId}, ${flow.connectionId}, ${flow.codeVerifier},
            ${flow.nonce}, ${flow.samlRequestId}, ${flow.redirectUri},
            ${flow.appState},
            clock_timestamp() + make_interval(secs => ${ttlSeconds}))`;
}

/** Deletes up to 100 flows expired for over a day. */
export async function pruneExpiredSsoFlows(sql: Sql): Promise<void> {
  await sql`
    delete from sso_flows where id in (
      select id from sso_flows where expires_at < clock_timestamp() - interval '1 day' limit 100)`;
}

/** A spent `sso_flows` row, and whether it had expired when it was spent. */
export type SpentSsoFlow = SsoFlow & { expired: boolean };

/** Marks the flow used now; undefined when there is no such flow or it was used already. */
export async function spendSsoFlow(sql: Sql, id: string): Promise<SpentSsoFlow | undefined> {
  const [flow] = await sql<SpentSsoFlow[]>`
        update sso_flows set used_at = clock_timestamp()
        where id = ${id} and used_at is null
        returning id, tenant_id, connection_id, code_verifier, nonce, saml_request_id,
                  redirect_uri, app_state, expires_at < clock_timestamp() as expired`;
  return flow;
}
