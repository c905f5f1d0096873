import type { Role, TransactionSql } from "@oryn/shared";
import type { ConnectionRow } from "./connections.ts";

/**
 * THE ONE POINT WHERE IdP GROUPS BECOME A ROLE, at a person's first sign-in through a connection.
 * The tenant-level group → role mapping (`roleForGroups` in `group-roles.ts`) is built on branch
 * `scim`; once it is merged, the body becomes
 *   `return roleForGroups(tx, connection.tenantId, groups, connection.defaultRole);`
 * (the connection's default role when no group is mapped). Until then every newcomer gets the
 * connection's default role.
 */
export async function roleAtFirstSignIn(
  _tx: TransactionSql,
  connection: Pick<ConnectionRow, "tenantId" | "defaultRole">,
  _groups: string[],
): Promise<Role> {
  return connection.defaultRole;
}
