import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { z } from "zod";
import { ConfigError, secretFromEnvOrDevFile } from "../config.ts";

export const webhookSecretsEnv = {
  WEBHOOK_SECRETS_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, "32 bytes, base64url")
    .optional()
    .meta({
      description:
        "Key (32 bytes, base64url) that encrypts webhook endpoints' signing secrets in the control plane; the gateway and the webhooks service must have the same one. `openssl rand -base64 32 | tr '+/' '-_' | tr -d '='` makes one.",
      secret: true,
      unset: "generated into SECRETS_DIR outside production",
    }),
};

/** The key that seals endpoints' secrets; gateway and webhooks read the same one. */
export function webhookSecretsKey(config: {
  WEBHOOK_SECRETS_KEY?: string | undefined;
  NODE_ENV: "development" | "test" | "production";
  SECRETS_DIR: string;
}): Buffer {
  const key = Buffer.from(
    secretFromEnvOrDevFile({
      name: "WEBHOOK_SECRETS_KEY",
      value: config.WEBHOOK_SECRETS_KEY,
      nodeEnv: config.NODE_ENV,
      secretsDir: config.SECRETS_DIR,
    }),
    "base64url",
  );
  if (key.length !== 32)
    throw new ConfigError("Invalid configuration:\n  WEBHOOK_SECRETS_KEY: must be 32 bytes");
  return key;
}

/** A new signing secret as Standard Webhooks writes it: `whsec_` and 32 random bytes, base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/**
 * AES-256-GCM, the endpoint's id as associated data: a ciphertext copied onto another endpoint's
 * row (another tenant's) does not open. Layout: 12-byte nonce, 16-byte tag, ciphertext.
 */
export function sealWebhookSecret(key: Buffer, endpointId: string, secret: string): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(Buffer.from(endpointId));
  const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return Buffer.concat([nonce, cipher.getAuthTag(), body]);
}

export function openWebhookSecret(key: Buffer, endpointId: string, sealed: Buffer): string {
  const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(endpointId));
  decipher.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString("utf8");
}
