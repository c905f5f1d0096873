import { randomBytes } from "node:crypto";
import { z } from "zod";
import { ConfigError, secretFromEnvOrDevFile } from "../config.ts";
import { openSecret, sealSecret } from "../sealing.ts";

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

/** Sealed like every stored secret (`sealing.ts`), bound to the endpoint's id. */
export function sealWebhookSecret(key: Buffer, endpointId: string, secret: string): Buffer {
  return sealSecret(key, endpointId, secret);
}

export function openWebhookSecret(key: Buffer, endpointId: string, sealed: Buffer): string {
  return openSecret(key, endpointId, sealed);
}
