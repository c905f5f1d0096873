import { isIP } from "node:net";
import { guardedLookup, RefusedTarget, refusedClassOf } from "@oryn/shared";
import * as client from "openid-client";
import { Agent, fetch as undiciFetch } from "undici";
import { cappedBody } from "./capped-body.ts";
import type { ConnectionRow } from "./connections.ts";
import type { SsoSettings } from "./settings.ts";

/** How long an IdP may take to answer one request (discovery, keys, token, userinfo). */
const idpTimeoutSeconds = 10;
/** How long a discovered configuration (endpoints, keys cache) is reused for a connection. */
const discoveryTtlMs = 5 * 60_000;
/**
 * How long a failed discovery is remembered: `authorize` is public, so without it every
 * anonymous request for a broken (or hostile) issuer's tenant would make another download.
 */
const failedDiscoveryTtlMs = 30_000;
/** The largest answer read from an issuer (discovery, JWKS, token, userinfo). */
export const maxIdpAnswerBytes = 256 * 1024;

/**
 * The fetch openid-client calls the IdP with. The issuer is tenant-chosen, so every call follows
 * the outbound rule (`packages/shared/src/outbound-targets.ts`): a name is resolved and its
 * addresses checked while connecting (the connection goes to the address checked); an IP
 * literal is checked here, as Node does not resolve it. No answer is read past
 * `maxIdpAnswerBytes`: the issuer is the tenant's choice, and so is what it sends back.
 */
export function issuerFetch(policy: { allowPrivate: boolean }): client.CustomFetch {
  const dispatcher = new Agent({ connect: { lookup: guardedLookup(policy) } });
  return async (url, options) => {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
    if (!policy.allowPrivate && isIP(host) !== 0) {
      const refused = refusedClassOf(host);
      if (refused) throw new RefusedTarget(`refused: ${host} is a ${refused} address`);
    }
    const answer = await undiciFetch(url, {
      method: options.method,
      headers: options.headers as Record<string, string>,
      body: options.body as string | undefined,
      redirect: "manual",
      signal: options.signal,
      dispatcher,
    });
    const body = new Uint8Array(
      await cappedBody(
        answer.body as ReadableStream<Uint8Array> | null,
        maxIdpAnswerBytes,
        () => new Error(`the identity provider's answer is larger than ${maxIdpAnswerBytes} bytes`),
      ),
    );
    // 204, 205 and 304 may carry no body at all.
    const empty = [204, 205, 304].includes(answer.status);
    return new Response(empty ? null : body, {
      status: answer.status,
      statusText: answer.statusText,
      headers: answer.headers as unknown as Headers,
    });
  };
}

export type OidcClients = {
  /** The connection's configuration, discovered at its issuer (cached by connection version). */
  configurationOf(connection: ConnectionRow): Promise<client.Configuration>;
};

/** Issuers compare without a trailing slash: `https://idp/` and `https://idp` are one. */
export const sameIssuer = (a: string, b: string) => a.replace(/\/+$/, "") === b.replace(/\/+$/, "");

export function createOidcClients(settings: SsoSettings): OidcClients {
  const fetcher = issuerFetch({ allowPrivate: settings.allowPrivateIssuers });
  const cache = new Map<
    string,
    { at: number; ttl: number; configuration: Promise<client.Configuration> }
  >();
  return {
    configurationOf(connection) {
      const key = `${connection.id}:${connection.version}`;
      const cached = cache.get(key);
      if (cached && Date.now() - cached.at < cached.ttl) return cached.configuration;
      if (cache.size > 1000) cache.clear();
      const configuration = discover(connection, settings, fetcher);
      const entry = { at: Date.now(), ttl: discoveryTtlMs, configuration };
      cache.set(key, entry);
      // A failed discovery is kept briefly (30 s), then tried again; a PATCH (a new version)
      // tries at once.
      configuration.catch(() => {
        entry.at = Date.now();
        entry.ttl = failedDiscoveryTtlMs;
      });
      return configuration;
    },
  };
}

async function discover(
  connection: ConnectionRow,
  settings: SsoSettings,
  fetcher: client.CustomFetch,
): Promise<client.Configuration> {
  const issuer = connection.oidcIssuer;
  const clientId = connection.oidcClientId;
  const sealed = connection.oidcClientSecretCiphertext;
  if (!issuer || !clientId || !sealed) throw new Error(`connection ${connection.id} is not OIDC`);
  const secret = settings.secrets.open(connection.id, sealed);
  // openid-client checks that the discovery document's `issuer` is the URL asked for, so the
  // ID tokens it accepts later are the connection's issuer's and no one else's.
  return client.discovery(
    new URL(issuer),
    clientId,
    { client_secret: secret },
    client.ClientSecretBasic(secret),
    {
      [client.customFetch]: fetcher,
      timeout: idpTimeoutSeconds,
      // http:// issuers only where private ones are allowed (tests, a local IdP), never in production.
      ...(settings.allowPrivateIssuers ? { execute: [client.allowInsecureRequests] } : {}),
    },
  );
}
