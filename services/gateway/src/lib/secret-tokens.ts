import { randomBytes } from "node:crypto";

/**
 * A new bearer secret: `prefix`, which says what it is for (a token pasted where another kind
 * belongs is refused by its purpose, and a leaked one is recognisable to secret scanners), then
 * 32 random bytes as base64url. Callers store only a hash of it.
 */
export function newSecretToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString("base64url")}`;
}
