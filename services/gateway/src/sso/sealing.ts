import { deriveSealingKey, openSecret, sealSecret } from "@oryn/shared";

/**
 * OIDC client secrets are sealed like TOTP secrets, under a key derived from MFA_ENCRYPTION_KEY
 * for this purpose only (no new setting to keep, and a TOTP ciphertext never opens as a client
 * secret), bound to the connection's id.
 */
export type ConnectionSecrets = {
  seal(connectionId: string, secret: string): Buffer;
  /** Throws when the secret does not open: the sign-in fails as a server error, logged. */
  open(connectionId: string, sealed: Buffer): string;
};

export function connectionSecrets(mfaKey: Buffer): ConnectionSecrets {
  const key = deriveSealingKey(mfaKey, "sso connection client secret");
  return {
    seal: (connectionId, secret) => sealSecret(key, `sso_connection:${connectionId}`, secret),
    open: (connectionId, sealed) => openSecret(key, `sso_connection:${connectionId}`, sealed),
  };
}
