import type { GatewayConfig } from "../env.ts";
import { type ConnectionSecrets, connectionSecrets } from "./sealing.ts";

/** What enterprise sign-in needs of the gateway's configuration, read once. */
export type SsoSettings = {
  /** The gateway's public address, without a trailing slash. */
  publicUrl: string;
  /** Origins a sign-in's redirect_uri may point into. */
  redirectOrigins: string[];
  maxConnectionsPerTenant: number;
  flowTtlSeconds: number;
  /** Private and loopback IdPs, and http:// ones, allowed (tests; never production). */
  allowPrivateIssuers: boolean;
  production: boolean;
  secrets: ConnectionSecrets;
};

export function ssoSettingsOf(config: GatewayConfig, mfaKey: Buffer): SsoSettings {
  const appUrl = config.APP_URL ?? "http://localhost:8080";
  return {
    publicUrl: (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, ""),
    redirectOrigins:
      config.SSO_REDIRECT_ORIGINS.length > 0
        ? config.SSO_REDIRECT_ORIGINS.map((origin) => new URL(origin).origin)
        : [new URL(appUrl).origin],
    maxConnectionsPerTenant: config.SSO_MAX_CONNECTIONS_PER_TENANT,
    flowTtlSeconds: config.SSO_FLOW_TTL_SECONDS,
    allowPrivateIssuers: config.SSO_ALLOW_PRIVATE_ISSUERS,
    production: config.NODE_ENV === "production",
    secrets: connectionSecrets(mfaKey),
  };
}

/** Where the IdP sends people back (OIDC) and posts assertions (SAML). */
export const oidcCallbackPath = "/v1/sso/oidc/callback";
export const samlAcsPath = "/v1/sso/saml/acs";

/** The cookie that ties a sign-in to the browser that started it (its value is the state). */
export const flowCookie = "oryn_sso_flow";
