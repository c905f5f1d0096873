import { randomBytes } from "node:crypto";
import { ApiError, type Logger, type Sql } from "@oryn/shared";
import { isTenantRestrictedToNonMember } from "@oryn/shared/control-plane/tables/memberships";
import { findLiveTenantIdBySlug } from "@oryn/shared/control-plane/tables/tenants";
import * as client from "openid-client";
import { type AuditContext, recordAuditEvent } from "../audit/audit-events.ts";
import { domainOfEmail } from "../domains/names.ts";
import { findVerifiedDomainTenant, isDomainVerifiedByTenant } from "../domains/tenant-domains.ts";
import { type ConnectionRow, loadConnection } from "./connections.ts";
import { type OidcClients, sameIssuer } from "./oidc-client.ts";
import { provisionMember, refusalOf, type SignedInPerson, SignInRefused } from "./people.ts";
import { newSamlRequestId, samlAuthorizeUrl } from "./saml.ts";
import { oidcCallbackPath, type SsoSettings } from "./settings.ts";
import { issueSignInCode } from "./sign-in-codes.ts";
import { signInConnectionOf } from "./sso-connections.ts";
import {
  insertSsoFlow,
  pruneExpiredSsoFlows,
  type SpentSsoFlow,
  spendSsoFlow,
} from "./sso-flows.ts";

export type SignInDeps = { sql: Sql; sso: SsoSettings; oidc: OidcClients; logger: Logger };

/** The app's address a sign-in ends at: only inside SSO_REDIRECT_ORIGINS (an open redirect else). */
export function assertRedirectAllowed(redirectUri: string, settings: SsoSettings): URL {
  const url = URL.canParse(redirectUri) ? new URL(redirectUri) : null;
  if (!url || !settings.redirectOrigins.includes(url.origin) || url.username || url.password) {
    throw new ApiError("validation_failed", {
      detail: "redirect_uri must be a page of the app (SSO_REDIRECT_ORIGINS)",
      errors: [{ path: "redirect_uri", message: "outside the allowed origins" }],
    });
  }
  return url;
}

/**
 * The tenant a sign-in is for: the one that verified the email's domain, or the one named by
 * slug. Nothing else: an IdP's answer later never changes it.
 */
async function tenantOf(sql: Sql, who: { email?: string; tenant?: string }): Promise<string> {
  const notConfigured = () => new ApiError("sso_not_configured");
  if (who.email !== undefined) {
    const domain = domainOfEmail(who.email);
    if (!domain) throw notConfigured();
    const tenantId = await findVerifiedDomainTenant(sql, domain);
    if (!tenantId) throw notConfigured();
    return tenantId;
  }
  const tenantId = await findLiveTenantIdBySlug(sql, who.tenant ?? "");
  if (!tenantId) throw notConfigured();
  return tenantId;
}

const random = () => randomBytes(32).toString("base64url");

/**
 * GET /v1/sso/authorize: finds the tenant and its enabled connection, records the flow (state,
 * PKCE verifier, nonce, the app's redirect_uri) and answers the IdP's authorization URL.
 * An IdP that cannot be reached sends the browser back to the app with `error=idp_unavailable`.
 */
export async function startSignIn(
  deps: SignInDeps,
  input: {
    email?: string | undefined;
    tenant?: string | undefined;
    redirectUri: string;
    appState?: string | undefined;
  },
): Promise<{ url: URL; state?: string; crossSitePost?: boolean }> {
  const back = assertRedirectAllowed(input.redirectUri, deps.sso);
  const appState = input.appState;
  const tenantId = await tenantOf(deps.sql, {
    ...(input.email === undefined ? {} : { email: input.email }),
    ...(input.tenant === undefined ? {} : { tenant: input.tenant }),
  });
  const connection = await signInConnectionOf(deps.sql, tenantId);
  if (!connection) throw new ApiError("sso_not_configured");
  if (connection.type === "saml") {
    // SAML: an AuthnRequest by HTTP-Redirect, RelayState = the flow id, its ID kept in the flow.
    const requestId = newSamlRequestId();
    const flowId = await recordFlow(deps, {
      tenantId,
      connection,
      back,
      appState,
      samlRequestId: requestId,
    });
    const url = new URL(await samlAuthorizeUrl(connection, deps.sso, { id: flowId, requestId }));
    // The IdP has the browser POST its answer from the IdP's site: only a SameSite=None cookie
    // comes along with such a post.
    return { url, state: flowId, crossSitePost: true };
  }
  let configuration: client.Configuration;
  try {
    configuration = await deps.oidc.configurationOf(connection);
  } catch (error) {
    deps.logger.warn({ err: error, connectionId: connection.id }, "OIDC discovery failed");
    return { url: withParams(back, { error: "idp_unavailable", ...stateParam(appState) }) };
  }
  const nonce = random();
  const verifier = client.randomPKCECodeVerifier();
  const state = await recordFlow(deps, {
    tenantId,
    connection,
    back,
    appState,
    codeVerifier: verifier,
    nonce,
  });
  const url = client.buildAuthorizationUrl(configuration, {
    redirect_uri: `${deps.sso.publicUrl}${oidcCallbackPath}`,
    scope: "openid email profile",
    response_type: "code",
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    ...(input.email === undefined ? {} : { login_hint: input.email }),
  });
  return { url, state };
}

/**
 * Records a sign-in under way and answers its id (OIDC `state`, SAML RelayState): the tenant
 * and connection it is for, what the IdP's answer will be checked against, the app's page.
 */
async function recordFlow(
  deps: SignInDeps,
  flow: {
    tenantId: string;
    connection: ConnectionRow;
    back: URL;
    appState: string | undefined;
    codeVerifier?: string;
    nonce?: string;
    samlRequestId?: string;
  },
): Promise<string> {
  const id = random();
  await insertSsoFlow(
    deps.sql,
    {
      id,
      tenantId: flow.tenantId,
      connectionId: flow.connection.id,
      codeVerifier: flow.codeVerifier ?? null,
      nonce: flow.nonce ?? null,
      samlRequestId: flow.samlRequestId ?? null,
      redirectUri: flow.back.href,
      appState: flow.appState ?? null,
    },
    deps.sso.flowTtlSeconds,
  );
  // Old flows go as new ones come: nothing reads an expired one but the refusal it earns.
  await pruneExpiredSsoFlows(deps.sql);
  return id;
}

/** The app's own `state`, echoed back beside `code=` or `error=` (its login-CSRF defence). */
const stateParam = (appState: string | null | undefined): Record<string, string> =>
  appState ? { state: appState } : {};

function withParams(url: URL, params: Record<string, string>): URL {
  const copy = new URL(url);
  for (const [name, value] of Object.entries(params)) copy.searchParams.set(name, value);
  return copy;
}

/** A spent `sso_flows` row, and whether it had expired when it was spent. */
export type Flow = SpentSsoFlow;

/**
 * Spends the flow named by `state`: a state works once, whatever comes of it. Unknown and used
 * states are refused without a redirect (there is no trusted redirect_uri to send them to).
 */
export async function spendFlow(
  sql: Sql,
  state: string | undefined,
  browserState: string | undefined,
): Promise<Flow> {
  // The flow's state is also in a cookie of the browser that started it: an answer carried to
  // another browser (a victim lured to an attacker's callback URL) is refused, so nobody can be
  // signed in to someone else's account (login CSRF).
  if (state && browserState !== state) {
    throw new ApiError("bad_request", {
      detail: "This sign-in was started in another browser: start again from the app",
    });
  }
  const flow = state ? await spendSsoFlow(sql, state) : undefined;
  if (!flow) {
    throw new ApiError("bad_request", {
      detail: "This sign-in is unknown or was finished already: start again from the app",
    });
  }
  return flow;
}

/**
 * GET /v1/sso/oidc/callback: the IdP's answer, judged against the flow it belongs to (state),
 * the connection that flow started with, and the tenant's verified domains. Answers the app's
 * redirect_uri with `code=` or with `error=` (a short reason; details only in the logs).
 */
export async function finishOidcSignIn(
  deps: SignInDeps,
  callbackUrl: URL,
  context: AuditContext,
  browserState: string | undefined,
): Promise<URL> {
  const flow = await spendFlow(
    deps.sql,
    callbackUrl.searchParams.get("state") ?? undefined,
    browserState,
  );
  return finishSignIn(deps, flow, context, "oidc", (connection) => {
    const idpError = callbackUrl.searchParams.get("error");
    if (idpError !== null) {
      throw new SignInRefused(
        idpError === "access_denied" ? "access_denied" : "idp_error",
        `the IdP answered error=${idpError.slice(0, 100)}`,
      );
    }
    return personFromIdp(deps, connection, flow, callbackUrl);
  });
}

/**
 * The end every sign-in shares, OIDC's and SAML's: the spent flow's connection (by the flow's
 * tenant and id, never by what the IdP says), the IdP's answer judged by `judge`, the address
 * inside a verified domain of the tenant, then the member just in time and a one-time code.
 * Any refusal sends the browser back to the app with `error=<reason>`, logged and audited.
 */
export async function finishSignIn(
  deps: SignInDeps,
  flow: Flow,
  context: AuditContext,
  type: ConnectionRow["type"],
  judge: (connection: ConnectionRow) => Promise<SignedInPerson>,
): Promise<URL> {
  const back = new URL(flow.redirectUri);
  let connection: ConnectionRow | undefined;
  try {
    if (flow.expired) throw new SignInRefused("flow_expired", "the sign-in took too long");
    // The tenant's connection by the flow's ids: a connection deleted or disabled meanwhile
    // ends the sign-in.
    connection = await loadConnection(deps.sql, flow.tenantId, flow.connectionId).catch(() => {
      throw new SignInRefused("sso_not_configured", "the connection is gone");
    });
    if (connection.status !== "enabled" || connection.type !== type)
      throw new SignInRefused("sso_not_configured", "the connection is disabled");
    const person = await judge(connection);
    await assertDomainVerified(deps.sql, flow.tenantId, person.email);

    const current = connection;
    const { code, userId } = await deps.sql.begin(async (tx) => {
      // A restricted (unpaid) tenant gives nobody new access, as invitations and SCIM do not;
      // its members still sign in.
      if (await isTenantRestrictedToNonMember(tx, flow.tenantId, person.email)) {
        throw new SignInRefused(
          "tenant_restricted",
          "the tenant is restricted to reads until its overdue payment is made",
        );
      }
      const member = await provisionMember(tx, current, person, context);
      await recordAuditEvent(tx, context, {
        tenantId: flow.tenantId,
        actorId: member.userId,
        action: "sso_signed_in",
        entity: "user",
        entityId: member.userId,
        data: {
          connectionId: current.id,
          type,
          newUser: member.created,
          joined: member.joined,
        },
      });
      const issued = await issueSignInCode(tx, {
        tenantId: flow.tenantId,
        userId: member.userId,
        connectionId: current.id,
      });
      return { code: issued, userId: member.userId };
    });
    deps.logger.info({ tenantId: flow.tenantId, userId }, "SSO sign-in");
    return withParams(back, { code, ...stateParam(flow.appState) });
  } catch (error) {
    const refusal = refusalOf(error);
    if (!refusal) throw error;
    deps.logger.warn(
      {
        tenantId: flow.tenantId,
        connectionId: flow.connectionId,
        reason: refusal.reason,
        err: refusal.message,
      },
      "SSO sign-in refused",
    );
    await recordAuditEvent(deps.sql, context, {
      tenantId: flow.tenantId,
      actorId: null,
      action: "sso_sign_in_failed",
      entity: "sso_connection",
      entityId: flow.connectionId,
      data: { reason: refusal.reason },
    });
    return withParams(back, { error: refusal.reason, ...stateParam(flow.appState) });
  }
}

/**
 * The code is exchanged at the connection's token endpoint with the flow's PKCE verifier; the ID
 * token's signature (the IdP's keys), issuer, audience, expiry and nonce are checked by
 * openid-client (with jose), and the issuer once more against the connection's.
 */
async function personFromIdp(
  deps: SignInDeps,
  connection: ConnectionRow,
  flow: Flow,
  callbackUrl: URL,
): Promise<SignedInPerson> {
  let configuration: client.Configuration;
  try {
    configuration = await deps.oidc.configurationOf(connection);
  } catch (error) {
    throw new SignInRefused("idp_unavailable", `discovery failed: ${(error as Error).message}`);
  }
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
      expectedState: flow.id,
      expectedNonce: flow.nonce ?? "",
      pkceCodeVerifier: flow.codeVerifier ?? "",
      idTokenExpected: true,
    });
  } catch (error) {
    throw new SignInRefused("invalid_response", describe(error));
  }
  const claims = tokens.claims();
  if (!claims || !sameIssuer(claims.iss, connection.oidcIssuer ?? "")) {
    throw new SignInRefused(
      "invalid_response",
      `ID token issuer ${claims?.iss} is not the connection's`,
    );
  }
  let profile: Record<string, unknown> = claims;
  // Many IdPs (and OIDC's default for the code flow) put email and profile in userinfo only.
  if (typeof claims.email !== "string") {
    try {
      profile = {
        ...(await client.fetchUserInfo(configuration, tokens.access_token, claims.sub)),
        ...claims,
      };
    } catch (error) {
      throw new SignInRefused("invalid_response", `userinfo: ${describe(error)}`);
    }
  }
  const email = typeof profile.email === "string" ? profile.email.trim().toLowerCase() : "";
  if (!email || email.length > 254 || !email.includes("@"))
    throw new SignInRefused("email_missing", "the IdP sent no email address");
  // Some IdPs send the flag as a string. Entra ID sends no email_verified; its optional claim
  // `xms_edov` (the address's domain owner is verified) says as much.
  const verified = [profile.email_verified, profile.xms_edov].some(
    (flag) => flag === true || flag === "true",
  );
  if (!verified)
    throw new SignInRefused("email_unverified", "the IdP has not verified the address");
  return { email, name: nameOf(profile, email), groups: groupsOf(profile.groups) };
}

async function assertDomainVerified(sql: Sql, tenantId: string, email: string): Promise<void> {
  const domain = domainOfEmail(email);
  const verified = domain ? await isDomainVerifiedByTenant(sql, tenantId, domain) : false;
  if (!verified) {
    throw new SignInRefused(
      "email_domain_not_verified",
      `${domain ?? "?"} is not a verified domain of the tenant`,
    );
  }
}

function nameOf(profile: Record<string, unknown>, email: string): string {
  const given = [profile.given_name, profile.family_name].filter(
    (part) => typeof part === "string",
  );
  const candidates = [
    profile.name,
    given.join(" "),
    profile.preferred_username,
    email.split("@")[0],
  ];
  for (const candidate of candidates) {
    if (typeof candidate === "string" && candidate.trim() !== "")
      return candidate.trim().slice(0, 200);
  }
  return email.slice(0, 200);
}

function groupsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter((group): group is string => typeof group === "string").slice(0, 500);
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: string }).code;
  return code ? `${code}: ${error.message}` : error.message;
}
