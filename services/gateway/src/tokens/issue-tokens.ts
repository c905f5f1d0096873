import { randomUUID } from "node:crypto";
import { z } from "@hono/zod-openapi";
import { ApiError, type Role, type Sql, type TransactionSql } from "@oryn/shared";
import { findLiveMembership } from "@oryn/shared/control-plane/tables/memberships";
import { openSession, type SessionClient } from "../sessions/sessions.ts";
import { newRefreshToken, storeRefreshToken } from "./refresh-tokens.ts";
import type { SigningKeys } from "./signing-keys.ts";

export const tokensSchema = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string().optional().openapi({
      description:
        "Always present, except in cookie mode (`X-Oryn-Session: cookie`): the refresh token is then in an HttpOnly cookie",
    }),
    tokenType: z.literal("Bearer"),
    expiresIn: z.number().int().openapi({ description: "Seconds until the access token expires" }),
  })
  .openapi("Tokens");

/** Tokens as issued; the answer may leave the refresh token out (cookie mode). */
export type Tokens = z.infer<typeof tokensSchema> & { refreshToken: string };

export type TokenSettings = {
  keys: SigningKeys;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  /** How long a used refresh token still yields its (unused) successor instead of a revocation. */
  refreshGraceSeconds: number;
};

/** The member a token is for, with the membership version it is issued under. */
export type TokenSubject = {
  userId: string;
  tenantId: string;
  role: Role;
  membershipVersion: number;
  /** The session (refresh-token family) the token is issued in. */
  sessionId: string;
};

export function signAccessToken(settings: TokenSettings, subject: TokenSubject): Promise<string> {
  return settings.keys.sign({ ...subject, tokenId: randomUUID(), kind: "user" });
}

export async function tokensWith(
  settings: TokenSettings,
  subject: TokenSubject,
  refreshToken: string,
): Promise<Tokens> {
  return {
    accessToken: await signAccessToken(settings, subject),
    refreshToken,
    tokenType: "Bearer",
    expiresIn: settings.accessTtlSeconds,
  };
}

/**
 * A new session: its access token and the first refresh token of its family (login, signup,
 * invitation), recorded with where it was opened from.
 */
export async function issueTokens(
  sql: Sql | TransactionSql,
  settings: TokenSettings,
  subject: Omit<TokenSubject, "sessionId">,
  client: SessionClient,
): Promise<Tokens> {
  const refresh = newRefreshToken();
  const sessionId = randomUUID();
  await openSession(
    sql,
    { id: sessionId, tenantId: subject.tenantId, userId: subject.userId },
    client,
  );
  await storeRefreshToken(sql, {
    familyId: sessionId,
    tenantId: subject.tenantId,
    userId: subject.userId,
    hash: refresh.hash,
    ttlSeconds: settings.refreshTtlSeconds,
  });
  return tokensWith(settings, { ...subject, sessionId }, refresh.token);
}

/**
 * Tokens for a user's current membership of a tenant (a replayed signup): 409 `conflict` if the
 * membership is gone since, or the tenant is being deleted.
 */
export async function tokensFor(
  sql: Sql,
  settings: TokenSettings,
  member: { userId: string; tenantId: string },
  client: SessionClient,
): Promise<Tokens> {
  const membership = await findLiveMembership(sql, member.tenantId, member.userId);
  if (!membership) {
    throw new ApiError("conflict", { detail: "The signup this key made no longer stands" });
  }
  return issueTokens(
    sql,
    settings,
    { ...member, role: membership.role, membershipVersion: Number(membership.version) },
    client,
  );
}
