import { ApiError, type Principal, type Sql, type TransactionSql } from "@oryn/shared";
import { listLiveMembershipsOfUser } from "@oryn/shared/control-plane/tables/memberships";
import { findUserProfile, setUserName } from "@oryn/shared/control-plane/tables/users";
import { hasActiveTotp } from "../mfa/factors.ts";
import type { Profile } from "./schemas.ts";

/** `/v1/me` is a person's: an API key has no profile, password or address. */
export function assertPerson(principal: Principal): void {
  if (principal.kind !== "user") {
    throw new ApiError("forbidden", { detail: "/v1/me is for people, not API keys" });
  }
}

/** The caller's profile, with every tenant they belong to (deleted ones aside). */
export async function profileOf(sql: Sql | TransactionSql, userId: string): Promise<Profile> {
  const user = await findUserProfile(sql, userId);
  if (!user) throw new ApiError("not_found");
  const memberships = await listLiveMembershipsOfUser(sql, userId);
  return {
    id: user.id,
    email: user.email,
    emailVerified: user.verified,
    name: user.name,
    mfa: { totp: await hasActiveTotp(sql, userId) },
    memberships: memberships.map((membership) => ({
      tenant: { id: membership.tenantId, slug: membership.slug, name: membership.tenantName },
      role: membership.role,
    })),
  };
}

export async function renameUser(
  sql: Sql | TransactionSql,
  userId: string,
  name: string,
): Promise<void> {
  await setUserName(sql, userId, name);
}
