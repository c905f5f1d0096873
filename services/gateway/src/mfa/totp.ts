import { createHash, randomBytes } from "node:crypto";
import {
  ConfigError,
  type Logger,
  openSecret,
  sealSecret,
  secretFromEnvOrDevFile,
} from "@oryn/shared";
import { Secret, TOTP } from "otpauth";

/**
 * TOTP (RFC 6238) as authenticator apps read it: SHA-1, six digits, 30 s steps. Codes are
 * checked with otpauth, a maintained implementation, rather than our own HOTP arithmetic; the
 * replay guard (`last_used_step`) is ours.
 */
const period = 30;

/** What the gateway needs for second factors: the key secrets are sealed with, and the issuer. */
export type MfaSettings = {
  /** Seals a TOTP secret for the row of `userId` (AES-256-GCM, the user id as associated data). */
  seal(secret: string, userId: string): Buffer;
  /** The secret, or null when it does not open (another key, another row): logged, not thrown. */
  open(sealed: Buffer, userId: string): string | null;
  /** The name authenticator apps show beside the account. */
  issuer: string;
  /** MFA_ENCRYPTION_KEY itself: other stored secrets are sealed under keys derived from it. */
  key: Buffer;
};

export function loadMfaSettings(options: {
  logger: Logger;
  value: string | undefined;
  nodeEnv: "development" | "test" | "production";
  secretsDir: string;
  issuer: string;
}): MfaSettings {
  const raw = secretFromEnvOrDevFile({
    name: "MFA_ENCRYPTION_KEY",
    value: options.value,
    nodeEnv: options.nodeEnv,
    secretsDir: options.secretsDir,
  });
  const key = Buffer.from(raw, "base64url");
  if (key.length !== 32) {
    throw new ConfigError(
      "Invalid configuration:\n  MFA_ENCRYPTION_KEY: must be 32 bytes, base64url (43 characters)",
    );
  }
  return {
    issuer: options.issuer,
    key,
    // Bound to its row: a sealed secret copied to another user's row does not open.
    seal: (secret, userId) => sealSecret(key, userId, secret),
    open(sealed, userId) {
      try {
        return openSecret(key, userId, sealed);
      } catch (error) {
        // The person can still sign in with a recovery code; an operator must look at the key.
        options.logger.error(
          { err: error, userId },
          "a TOTP secret does not open with MFA_ENCRYPTION_KEY (was the key changed?)",
        );
        return null;
      }
    },
  };
}

/** A new secret: 160 random bits (RFC 4226's recommended length), in base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totpOf(secret: string, issuer: string, label: string): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: "SHA1",
    digits: 6,
    period,
    secret: Secret.fromBase32(secret),
  });
}

/** The `otpauth://totp/...` URI an authenticator app reads from a QR code. */
export function otpauthUrl(secret: string, issuer: string, label: string): string {
  return totpOf(secret, issuer, label).toString();
}

/**
 * The time step a code is good for, with one step either side of now (clock drift), or null.
 * The caller refuses a step not after the last one accepted, so a code works once.
 */
export function stepOfCode(secret: string, code: string, now = Date.now()): number | null {
  const totp = totpOf(secret, "", "check");
  const delta = totp.validate({ token: code, timestamp: now, window: 1 });
  return delta === null ? null : totp.counter({ timestamp: now }) + delta;
}

/** Ten recovery codes of 60 random bits, as `xxxx-xxxx-xxxx` in lower-case base32. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: 10 }, () => {
    const base32 = new Secret({ buffer: new Uint8Array(randomBytes(8)).buffer }).base32
      .toLowerCase()
      .slice(0, 12);
    return `${base32.slice(0, 4)}-${base32.slice(4, 8)}-${base32.slice(8, 12)}`;
  });
}

/**
 * Recovery codes are kept as SHA-256 of their normalized form: 60 random bits need no slow hash
 * (nobody can enumerate them offline from the hash in any useful time), and the login limiter
 * bounds online guessing.
 */
export function hashRecoveryCode(code: string): Buffer {
  return createHash("sha256").update(code.toLowerCase().replace(/[\s-]/g, "")).digest();
}
