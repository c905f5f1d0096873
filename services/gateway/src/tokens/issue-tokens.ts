import { randomUUID } from "node:crypto";
import { z } from "@hono/zod-openapi";
import type { Role, Sql, TransactionSql } from "@oryn/shared";
import { newRefreshToken, storeRefreshToken } from "./refresh-tokens.ts";
import type { SigningKeys } from "./signing-keys.ts";

export const tokensSchema = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    tokenType: z.literal("Bearer"),
    expiresIn: z.number().int().openapi({ description: "Seconds until the access token expires" }),
  })
  .openapi("Tokens");

export type Tokens = z.infer<typeof tokensSchema>;

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
  /** The refresh-token family the access token is issued in (its `sid`). */
  sessionId?: string;
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

/** An access token and the first refresh token of a new family (login, signup, invitation). */
export async function issueTokens(
  sql: Sql | TransactionSql,
  settings: TokenSettings,
  subject: TokenSubject,
): Promise<Tokens> {
  const refresh = newRefreshToken();
  const familyId = randomUUID();
  await storeRefreshToken(sql, {
    familyId,
    tenantId: subject.tenantId,
    userId: subject.userId,
    hash: refresh.hash,
    ttlSeconds: settings.refreshTtlSeconds,
  });
  return tokensWith(settings, { ...subject, sessionId: familyId }, refresh.token);
}
