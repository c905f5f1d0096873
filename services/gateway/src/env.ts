import {
  baseEnv,
  controlPlaneEnv,
  exportEnv,
  httpUrl,
  nonNegativeInt,
  port,
  positiveInt,
  redisEnv,
  tenantDeletionEnv,
  tokenClaimsEnv,
  unsetWhenEmpty,
  webhookSecretsEnv,
} from "@oryn/shared";
import { z } from "zod";
import { isTrustedProxyEntry } from "./edge/client-ip.ts";

/** A comma-separated list of web origins (`https://app.example.com`), none with a trailing slash. */
function originList() {
  return z
    .string()
    .default("")
    .transform((value) =>
      value
        .split(",")
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z.url({ protocol: /^https?$/ }).refine((url) => !url.endsWith("/"), "no trailing slash"),
      ),
    );
}

export const gatewayEnv = z
  .object({
    ...baseEnv,
    ...controlPlaneEnv,
    ...redisEnv,
    ...tenantDeletionEnv,
    ...exportEnv,
    ...tokenClaimsEnv,
    ...webhookSecretsEnv,
    PORT: port.default(8080).describe("The public HTTP port."),
    OPS_PORT: port
      .default(9080)
      .describe("Internal port for `/healthz`, `/readyz` and `/metrics`; never publish it."),
    WORKSPACE_URL: z
      .string()
      .default("http://127.0.0.1:8081")
      .transform((value) =>
        value
          .split(",")
          .map((url) => url.trim())
          .filter(Boolean),
      )
      .pipe(z.array(httpUrl).min(1))
      .describe(
        "Workspace, where `/v1/projects` and `/v1/audit-log` go; several replicas comma-separated (`http://workspace-1:8081,http://workspace-2:8081`), each tenant sent to one of them by rendezvous hashing. Every gateway must list the same replicas (compared by origin, in any order).",
      ),
    WORKSPACE_EJECT_MS: positiveInt
      .default(5_000)
      .describe(
        "How long a workspace replica that refused connections twice in a row is passed over (its tenants go to the next replica) before it is tried again.",
      ),
    BILLING_URL: httpUrl
      .default("http://127.0.0.1:8082")
      .describe("Billing, where `/v1/billing/*` and `POST /webhooks/stripe` go."),
    PROVISIONER_URL: httpUrl
      .default("http://127.0.0.1:8083")
      .describe(
        "The provisioner's internal port, where the operator API (`/v1/operator/...`) goes; the provisioner checks OPERATOR_TOKEN itself.",
      ),
    JWT_SIGNING_KEYS: z.string().optional().meta({
      description:
        "Private Ed25519 signing keys as a JWK Set (JSON); the first key signs, all verify. Rotate with `pnpm keys`.",
      secret: true,
      unset: "generated into SECRETS_DIR outside production",
    }),
    ACCESS_TOKEN_TTL_SECONDS: positiveInt
      .max(3600)
      .default(600)
      .describe("Lifetime of an access token; at most an hour."),
    REFRESH_TOKEN_TTL_SECONDS: positiveInt
      .default(30 * 24 * 3600)
      .describe("Lifetime of a refresh token (of its family, from login)."),
    REFRESH_REUSE_GRACE_SECONDS: nonNegativeInt
      .max(60)
      .default(10)
      .describe(
        "A refresh token used again within this gets the same successor instead of revoking its family (two tabs, a retry after a lost answer); 0 to 60.",
      ),
    REVOCATION_POLL_MS: positiveInt
      .min(100)
      .max(30_000)
      .default(1000)
      .describe(
        "How often each gateway reads access revocations (removed members, changed roles, deleted tenants); 100 to 30000.",
      ),
    MFA_ENCRYPTION_KEY: z.string().optional().meta({
      description:
        "Key (32 random bytes, base64url) that encrypts people's TOTP secrets at rest (AES-256-GCM). Keep it: with another key no enrolled authenticator's code is accepted, and people can sign in only with their recovery codes.",
      secret: true,
      unset: "generated into SECRETS_DIR outside production",
    }),
    MFA_ISSUER: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[^:\p{Cc}]+$/u, "no colon or control characters")
      .default("Oryn")
      .describe("The name authenticator apps show beside an account enrolled for TOTP."),
    MFA_POLICY_CACHE_TTL_MS: positiveInt
      .max(60_000)
      .default(5_000)
      .describe(
        "How long a gateway caches whether a person must enrol in MFA for their tenant: another gateway's change (enrolment, the tenant's `mfaRequired`) applies within this; at most 60000.",
      ),
    INVITATION_TTL_SECONDS: positiveInt
      .default(7 * 24 * 3600)
      .describe("How long an invitation can be accepted."),
    EMAIL_VERIFICATION_TTL_SECONDS: positiveInt
      .default(3 * 24 * 3600)
      .describe("How long a link to verify an email address works."),
    EMAIL_CHANGE_TTL_SECONDS: positiveInt
      .default(24 * 3600)
      .describe("How long the link confirming a new email address works."),
    PASSWORD_RESET_TTL_SECONDS: positiveInt
      .max(3600)
      .default(3600)
      .describe("How long a password-reset link works; at most an hour."),
    PASSWORD_RESET_PER_ADDRESS_PER_HOUR: positiveInt
      .default(3)
      .describe(
        "Password-reset requests per email address per hour (whether or not it has an account), so nobody can flood an inbox.",
      ),
    PASSWORD_RESET_PER_IP_PER_HOUR: positiveInt
      .default(20)
      .describe("Password-reset requests per client IP per hour, whatever the addresses."),
    LOGIN_MAX_CONSECUTIVE_FAILURES: positiveInt
      .default(5)
      .describe(
        "Failed logins in a row for one email from one IP before they are locked out for LOGIN_FAILURE_WINDOW_SECONDS.",
      ),
    LOGIN_FAILURE_WINDOW_SECONDS: positiveInt
      .default(15 * 60)
      .describe("The window of that count, and the length of the lock-out."),
    LOGIN_MAX_FAILURES_PER_IP_PER_DAY: positiveInt
      .default(100)
      .describe("Failed logins from one IP, whatever the email, per day."),
    LOGIN_ACCOUNT_FREE_FAILURES: positiveInt
      .default(10)
      .describe(
        "Failed logins for one account, from any address, within LOGIN_ACCOUNT_FAILURE_WINDOW_SECONDS before each further one locks the account for 1 s, 2 s, 4 s ... up to LOGIN_ACCOUNT_MAX_LOCK_SECONDS (not for addresses it logged in from before).",
      ),
    LOGIN_ACCOUNT_FAILURE_WINDOW_SECONDS: positiveInt
      .default(24 * 3600)
      .describe("The window of that count; a successful login or a password reset clears it."),
    LOGIN_ACCOUNT_MAX_LOCK_SECONDS: positiveInt
      .max(3600)
      .default(300)
      .describe(
        "Longest lock of an account after failed logins: guessing slows to one try per this, and nobody can lock an owner out for longer after their last try; at most 3600.",
      ),
    LOGIN_KNOWN_ADDRESS_SECONDS: positiveInt
      .default(30 * 24 * 3600)
      .describe(
        "How long an address an account logged in from stays exempt from that account's lock.",
      ),
    RATE_LIMIT_TENANT_PER_MINUTE: unsetWhenEmpty(positiveInt.optional()).meta({
      description:
        "Requests per minute per tenant for every plan, overriding the plans' own rates (`packages/shared/src/plans.ts`).",
      unset: "each tenant gets its plan's rate",
    }),
    RATE_LIMIT_TENANT_PER_SECOND: unsetWhenEmpty(positiveInt.optional()).meta({
      description: "Like RATE_LIMIT_TENANT_PER_MINUTE, for the burst window (requests per second).",
      unset: "each tenant gets its plan's burst",
    }),
    PLAN_CACHE_TTL_MS: positiveInt
      .max(60_000)
      .default(5_000)
      .describe(
        "How long a tenant's plan is cached for its rate limits: a plan change applies within this; at most 60000.",
      ),
    RATE_LIMIT_LEASE_MAX: positiveInt
      .default(100)
      .describe(
        "Most points of one rate-limit window a gateway takes from Redis at a time and counts itself (a tenth of the window's quota at most; 1 counts every request in Redis). All gateways together never exceed a quota; a key can be refused while another gateway still holds fewer than this many of its points.",
      ),
    RATE_LIMIT_IP_PER_MINUTE: positiveInt
      .default(60)
      .describe(
        "Requests per minute per client IP on signup, login, a login's second factor (`POST /v1/auth/mfa`) and accepting an invitation (whatever token comes along), and on `/v1` requests without a valid credential.",
      ),
    RATE_LIMIT_REFUSED_PER_MINUTE: positiveInt
      .default(120)
      .describe(
        "Requests per minute per tenant answered 401/403 that are given back to the tenant rather than charged; beyond this they count.",
      ),
    RATE_LIMIT_OPERATOR_PER_MINUTE: positiveInt
      .default(120)
      .describe(
        "Requests per minute per client IP to the operator API (`/v1/operator/...`), right or wrong credential alike: a bucket of its own, so operators neither spend nor are slowed by anonymous traffic's.",
      ),
    RATE_LIMIT_SESSION_PER_MINUTE: positiveInt
      .default(600)
      .describe(
        "Requests per minute per client IP on refresh and logout: a looser bucket, as many users behind one NAT refresh often.",
      ),
    SIGNUPS_PER_MINUTE: positiveInt
      .default(30)
      .describe(
        "Signups per minute across all clients, on top of the per-IP limit: each signup creates a role and a database, and many IPs must not add up to unbounded. Past it, 429 with Retry-After.",
      ),
    SIGNUP_CONFIRMATION: z
      .enum(["none", "email"])
      .default("none")
      .describe(
        "`none`: `POST /v1/signup` creates the tenant at once and answers its tokens, or 409 `email_taken` (the contract's default). `email`: it answers 202 `{status: \"confirmation_sent\"}` whatever the address, mails a link (or, to an address with an account, a notice), and the tenant is created by `POST /v1/signup/confirm` with the link's token: nobody can learn from signup whether an address has an account.",
      ),
    SIGNUP_CONFIRMATION_TTL_SECONDS: positiveInt
      .default(24 * 3600)
      .describe(
        "With `SIGNUP_CONFIRMATION=email`: how long the link that finishes a signup works.",
      ),
    SIGNUP_MAILS_PER_ADDRESS_PER_HOUR: positiveInt
      .default(3)
      .describe(
        "With `SIGNUP_CONFIRMATION=email`: signup requests per email address per hour (whether or not it has an account), so nobody can flood an inbox; per IP the signup limits apply.",
      ),
    DOCS_PER_IP_PER_MINUTE: positiveInt
      .default(60)
      .describe("Requests per minute per client IP to `/openapi.json` and `/docs`."),
    WEBHOOK_REFUSALS_PER_IP_PER_MINUTE: positiveInt
      .default(120)
      .describe(
        "Refused (4xx) answers to `POST /webhooks/stripe` per client IP per minute, bad signatures mostly; past it the IP is answered 429 until the window ends. Generous: Stripe itself is never refused.",
      ),
    CORS_ORIGINS: originList().describe(
      "Browser origins allowed to call the API (CORS), comma-separated, without a trailing slash, e.g. `https://app.example.com,https://admin.example.com`; empty: no CORS headers at all.",
    ),
    SCIM_RATE_LIMIT_PER_MINUTE: positiveInt
      .default(600)
      .describe(
        "Requests per minute per SCIM token on `/scim/v2` (429 with a SCIM error beyond); the same number of failed SCIM authentications per minute per client IP.",
      ),
    SCIM_BODY_LIMIT_BYTES: positiveInt
      .default(256 * 1024)
      .describe("Largest request body accepted on `/scim/v2`, in bytes (413 SCIM error beyond)."),
    BODY_LIMIT_BYTES: positiveInt
      .default(1024 * 1024)
      .describe("Largest request body accepted, in bytes (413 beyond)."),
    UPSTREAM_TIMEOUT_MS: positiveInt
      .default(10_000)
      .describe("Timeout of a call to workspace or billing (504 beyond)."),
    TRUSTED_PROXIES: z
      .string()
      .default("")
      .transform((value) =>
        value
          .split(",")
          .map((entry) => entry.trim())
          .filter(Boolean),
      )
      .pipe(
        z.array(
          z
            .string()
            .refine(
              isTrustedProxyEntry,
              "an IPv4 or IPv6 address, a CIDR block, `loopback` or `private`",
            ),
        ),
      )
      .describe(
        "The proxies in front of the gateway that may name the client in `X-Forwarded-For`: addresses and CIDR blocks (IPv4, IPv6), comma-separated, plus the shorthands `loopback` and `private`. The client IP is the right-most `X-Forwarded-For` address not in this list, and only when the connection itself comes from one of them. Empty: the socket's address, the header ignored (the gateway faces clients directly). See docs/security.md for each deployment.",
      ),
    TRUST_PROXY: z
      .enum(["true", "false"])
      .default("false")
      .transform((value) => value === "true")
      .describe(
        "Deprecated, replaced by TRUSTED_PROXIES: `true` with TRUSTED_PROXIES empty trusts `loopback,private` (a warning at start says so); ignored when TRUSTED_PROXIES is set.",
      ),
    PUBLIC_URL: unsetWhenEmpty(httpUrl.optional()).meta({
      description:
        "The gateway's own address as browsers and identity providers reach it, without a trailing slash: an SSO connection's OIDC redirect URI and SAML ACS URL are under it.",
      unset: "http://localhost:PORT",
    }),
    APP_URL: unsetWhenEmpty(httpUrl.optional()).meta({
      description:
        "The web app people use (as the mailer's APP_URL): single sign-on sends people back to it, unless SSO_REDIRECT_ORIGINS says otherwise.",
      unset: "http://localhost:8080",
    }),
    SSO_REDIRECT_ORIGINS: originList().describe(
      "Origins a sign-in's `redirect_uri` may point into (`GET /v1/sso/authorize`), comma-separated, without a trailing slash; empty: APP_URL's origin only.",
    ),
    SSO_MAX_CONNECTIONS_PER_TENANT: positiveInt
      .max(20)
      .default(3)
      .describe("SSO connections one tenant may have (OIDC and SAML together); at most 20."),
    SSO_FLOW_TTL_SECONDS: positiveInt
      .min(60)
      .max(3600)
      .default(600)
      .describe(
        "How long a sign-in may take at the identity provider, from `GET /v1/sso/authorize` to its callback; 60 to 3600.",
      ),
    SSO_ALLOW_PRIVATE_ISSUERS: z
      .enum(["true", "false"])
      .default("false")
      .transform((value) => value === "true")
      .describe(
        "Let SSO connections reach identity providers on private or loopback addresses, and over plain http:// (tests, a local IdP). Refused in production.",
      ),
    DNS_SERVERS: z
      .string()
      .default("")
      .transform((value) =>
        value
          .split(",")
          .map((server) => server.trim())
          .filter(Boolean),
      )
      .pipe(
        z.array(
          z
            .string()
            .regex(
              /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\])(:\d{1,5})?$/,
              "an IP address with an optional port: `1.1.1.1`, `127.0.0.1:5353`, `[::1]:53`",
            ),
        ),
      )
      .describe(
        "DNS resolvers that read the TXT records proving a tenant's domain (`POST /v1/domains/{id}/verify`), comma-separated `ip:port`; empty: the system's.",
      ),
    CONSOLE_DIR: unsetWhenEmpty(z.string().optional()).meta({
      description:
        "The built console (`pnpm build:console`), served at the gateway's root `/`; a page saying it is not built when the folder has no index.html.",
      unset: "`apps/console/dist` of this checkout",
    }),
  })
  .refine((config) => !(config.NODE_ENV === "production" && config.SSO_ALLOW_PRIVATE_ISSUERS), {
    path: ["SSO_ALLOW_PRIVATE_ISSUERS"],
    message: "must not be true in production",
  })
  .refine((config) => config.PORT === 0 || config.OPS_PORT !== config.PORT, {
    path: ["OPS_PORT"],
    message: "must differ from PORT: operations endpoints are not served on the public port",
  });

export type GatewayConfig = z.output<typeof gatewayEnv>;
