import { createHmac } from "node:crypto";

/**
 * Standard Webhooks signatures: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under
 * the secret's bytes (the base64 after `whsec_`), one per secret, separated by spaces: during a
 * rotation both the new and the old secret sign, and a receiver holding either accepts.
 */
export function signatureHeader(
  secrets: readonly string[],
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  return secrets
    .map((secret) => {
      const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
      const mac = createHmac("sha256", key).update(`${id}.${timestampSeconds}.${body}`);
      return `v1,${mac.digest("base64")}`;
    })
    .join(" ");
}
