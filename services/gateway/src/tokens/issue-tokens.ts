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
};

/** An access token and a refresh token; a new family unless one is being rotated. */
export async function issueTokens(
  sql: Sql | TransactionSql,
  settings: TokenSettings,
  subject: { userId: string; tenantId: string; role: Role; familyId?: string },
): Promise<Tokens> {
  const refresh = newRefreshToken();
  await storeRefreshToken(sql, {
    familyId: subject.familyId ?? randomUUID(),
    tenantId: subject.tenantId,
    userId: subject.userId,
    hash: refresh.hash,
    ttlSeconds: settings.refreshTtlSeconds,
  });
  const accessToken = await settings.keys.sign({
    userId: subject.userId,
    tenantId: subject.tenantId,
    role: subject.role,
    tokenId: randomUUID(),
  });
  return {
    accessToken,
    refreshToken: refresh.token,
    tokenType: "Bearer",
    expiresIn: settings.accessTtlSeconds,
  };
}
