import { once } from "node:events";
import { serviceEnv, testRun } from "@oryn/testing/context";
import { type ServiceName, spawnService } from "@oryn/testing/processes";
import { describe, expect, it } from "vitest";
import { generateSigningKeySet } from "../services/gateway/src/tokens/signing-keys.ts";

/** Starts a service that is expected to refuse; returns its exit code and what it printed. */
async function startExpectingRefusal(
  service: ServiceName,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const { child, output } = spawnService(service, env);
  // Long enough for a start on a loaded machine (15 s was not), short of the test's timeout.
  const timer = setTimeout(() => child.kill("SIGKILL"), 45_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, output: output() };
}

describe("a service with a bad setting stops at start with a message naming it", () => {
  const cases: Array<[ServiceName, Record<string, string>, RegExp]> = [
    ["gateway", { PORT: "eighty" }, /PORT: /],
    [
      "gateway",
      { NODE_ENV: "production", JWT_SIGNING_KEYS: "" },
      /JWT_SIGNING_KEYS: required in production/,
    ],
    [
      "gateway",
      { NODE_ENV: "production", JWT_SIGNING_KEYS: generateSigningKeySet(), MFA_ENCRYPTION_KEY: "" },
      /MFA_ENCRYPTION_KEY: required in production/,
    ],
    ["gateway", { MFA_ENCRYPTION_KEY: "too-short" }, /MFA_ENCRYPTION_KEY: must be 32 bytes/],
    [
      "gateway",
      { JWT_SIGNING_KEYS: '{"keys":[{"kty":"RSA"}]}' },
      /JWT_SIGNING_KEYS: must be a JWK Set/,
    ],
    ["workspace", { JWKS_URL: "not a url" }, /JWKS_URL: /],
    [
      "workspace",
      { NODE_ENV: "production", TENANT_DB_PASSWORD_SECRET: "" },
      /TENANT_DB_PASSWORD_SECRET: required in production/,
    ],
    [
      "workspace",
      { TENANT_DB_PASSWORD_SECRET: "short" },
      /TENANT_DB_PASSWORD_SECRET: at least 32 characters/,
    ],
    [
      "billing",
      { STRIPE_WEBHOOK_SECRET: "not-a-whsec" },
      /STRIPE_WEBHOOK_SECRET: must start with whsec_/,
    ],
    [
      "billing",
      { NODE_ENV: "production", STRIPE_WEBHOOK_SECRET: "" },
      /STRIPE_WEBHOOK_SECRET: required in production/,
    ],
    ["provisioner", { REDIS_URL: "http://127.0.0.1:6379" }, /REDIS_URL: must be a redis:\/\/ URL/],
    ["provisioner", { TENANT_TEMPLATE_DATABASE: "Template; DROP" }, /TENANT_TEMPLATE_DATABASE: /],
    [
      "mailer",
      { NODE_ENV: "production", SMTP_URL: "", MAIL_FROM: "", APP_URL: "" },
      /SMTP_URL: required in production\n\s+MAIL_FROM: required in production\n\s+APP_URL: required in production/,
    ],
    [
      "mailer",
      { NODE_ENV: "production", SMTP_URL: "smtp://mail.example.test:587", APP_URL: "" },
      /Invalid configuration:\n\s+MAIL_FROM: required in production\n\s+APP_URL: required in production\n(?!\s+SMTP_URL)/,
    ],
    ["mailer", { SMTP_URL: "http://mail.example.test" }, /SMTP_URL: /],
    ["mailer", { MAIL_FROM: "not an address" }, /MAIL_FROM: must be one address/],
  ];
  it.each(cases)("%s with %j", async (service, bad, message) => {
    const env = { ...serviceEnv(testRun()), ...bad };
    // An empty value stands for "unset" here.
    for (const [name, value] of Object.entries(bad)) if (value === "") delete env[name];
    const { code, output } = await startExpectingRefusal(service, env);
    expect(code).toBe(1);
    expect(output).toMatch(message);
    expect(output).not.toMatch(/^\s+at /m);
  });
});
