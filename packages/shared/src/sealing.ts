import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/**
 * Secrets kept at rest (TOTP secrets, webhook signing secrets, SSO client secrets) are sealed
 * the same way: AES-256-GCM with a fresh 12-byte nonce, bound to their row by associated data
 * (a ciphertext copied onto another row, another tenant's, does not open). Layout: nonce, 16-byte
 * tag, ciphertext.
 */
export function sealSecret(key: Buffer, associatedData: string, secret: string): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(Buffer.from(associatedData));
  const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return Buffer.concat([nonce, cipher.getAuthTag(), body]);
}

/** The secret; throws when it does not open (another key, another row, a changed byte). */
export function openSecret(key: Buffer, associatedData: string, sealed: Buffer): string {
  const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(associatedData));
  decipher.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString("utf8");
}

/**
 * A key of its own for one purpose, derived from a configured key (HKDF-SHA256): one setting can
 * serve several kinds of secret without one kind's ciphertext ever opening as another's.
 */
export function deriveSealingKey(key: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", key, Buffer.alloc(0), `oryn sealing: ${purpose}`, 32));
}
