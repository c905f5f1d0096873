import { randomBytes } from "node:crypto";
import { type CacheProvider, SAML, ValidateInResponseTo } from "@node-saml/node-saml";
import { type ConnectionRow, samlEntityIdOf } from "./connections.ts";
import { SignInRefused } from "./people.ts";
import { type SsoSettings, samlAcsPath } from "./settings.ts";

/**
 * SAML 2.0 for one connection, through @node-saml/node-saml (the maintained SAML core of
 * passport-saml): it verifies the XML signatures (xml-crypto), the time window, the audience and
 * InResponseTo. What it leaves to us is checked here: the assertion's Issuer is the connection's
 * IdP, the Recipient and Destination are our ACS, and the assertion id is kept for the replay
 * check (the caller's insert).
 */

export const emailAddressFormat = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
/** How far apart our clock and the IdP's may be. */
export const clockSkewMs = 60_000;
/** An assertion older than this (from its IssueInstant) is refused whatever its NotOnOrAfter. */
export const maxAssertionAgeMs = 5 * 60_000;

const mailAttributes = [
  "email",
  "mail",
  "emailaddress",
  "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
  "urn:oid:0.9.2342.19200300.100.1.3",
];
const givenNameClaim = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname";
const surnameClaim = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname";
const displayNameClaim = "http://schemas.microsoft.com/identity/claims/displayname";
const groupAttributes = [
  "groups",
  "group",
  "memberOf",
  "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
  "http://schemas.xmlsoap.org/claims/Group",
];

/**
 * A cache that knows one request id, the one the flow stored: node-saml asks it whether an
 * InResponseTo is one of ours. Its answer is a time node-saml checks against its own expiry;
 * the flow's expiry (checked before) is the one that counts, so it is "now".
 */
function oneRequestCache(requestId: string | null): CacheProvider {
  return {
    saveAsync: async (_key, value) => ({ value, createdAt: Date.now() }),
    getAsync: async (key) =>
      requestId !== null && key === requestId ? new Date().toISOString() : null,
    removeAsync: async (key) => key,
  };
}

function samlOf(
  connection: ConnectionRow,
  settings: Pick<SsoSettings, "publicUrl">,
  options: { requestId: string | null },
): SAML {
  const entityId = samlEntityIdOf(settings, connection.id);
  return new SAML({
    issuer: entityId,
    audience: entityId,
    callbackUrl: `${settings.publicUrl}${samlAcsPath}`,
    entryPoint: connection.samlSsoUrl ?? undefined,
    idpCert: connection.samlIdpCerts ?? [],
    idpIssuer: connection.samlIdpEntityId ?? undefined,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: clockSkewMs,
    maxAssertionAgeMs,
    identifierFormat: emailAddressFormat,
    // Any way of signing in the IdP accepts (password, MFA, passkey) is the IdP's to choose.
    disableRequestedAuthnContext: true,
    validateInResponseTo: ValidateInResponseTo.always,
    cacheProvider: oneRequestCache(options.requestId),
    generateUniqueId: () => options.requestId ?? `_${randomBytes(20).toString("hex")}`,
  });
}

/** A fresh AuthnRequest id: an NCName (it starts with `_`), 160 random bits. */
export function newSamlRequestId(): string {
  return `_${randomBytes(20).toString("hex")}`;
}

/** Where the browser goes: the IdP's SSO URL with a deflated AuthnRequest (HTTP-Redirect). */
export async function samlAuthorizeUrl(
  connection: ConnectionRow,
  settings: Pick<SsoSettings, "publicUrl">,
  flow: { id: string; requestId: string },
): Promise<string> {
  return samlOf(connection, settings, { requestId: flow.requestId }).getAuthorizeUrlAsync(
    flow.id,
    undefined,
    {},
  );
}

/** Our SP metadata for one connection: entity id, ACS (HTTP-POST), signed assertions wanted. */
export function samlServiceProviderMetadata(
  connection: ConnectionRow,
  settings: Pick<SsoSettings, "publicUrl">,
): string {
  return samlOf(connection, settings, { requestId: null }).generateServiceProviderMetadata(null);
}

export type SamlIdentity = {
  email: string;
  name: string;
  groups: string[];
  /** The subject as the IdP names it (NameID). */
  subject: string;
  assertionId: string;
  /** Until when a replay of this assertion could still be accepted: the replay record's life. */
  replayableUntil: Date;
};

const asStrings = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value]).filter(
    (item): item is string => typeof item === "string" && item.length > 0,
  );

type XmlJs = Record<string, unknown> & { $?: Record<string, string>; _?: string };
const first = (value: unknown): XmlJs | undefined =>
  Array.isArray(value) ? (value[0] as XmlJs | undefined) : undefined;

/**
 * Judges a SAMLResponse (base64, as posted) against the connection the flow started with and the
 * AuthnRequest id the flow stored. Throws SignInRefused (`invalid_response`, `email_missing`).
 * Nothing outside the part of the document whose signature verified is trusted, except to
 * refuse.
 */
export async function validateSamlResponse(
  connection: ConnectionRow,
  settings: Pick<SsoSettings, "publicUrl">,
  flow: { samlRequestId: string | null },
  samlResponse: string,
): Promise<SamlIdentity> {
  if (!flow.samlRequestId)
    throw new SignInRefused("invalid_response", "the flow has no request id");
  // SAML messages carry no DTD (SAML core, 1.3): one is refused before any parser sees it, so
  // no entity is ever expanded, whatever the XML libraries underneath would do with it.
  if (/<!DOCTYPE|<!ENTITY/i.test(Buffer.from(samlResponse, "base64").toString("utf8"))) {
    throw new SignInRefused("invalid_response", "the response carries a DOCTYPE");
  }
  const acsUrl = `${settings.publicUrl}${samlAcsPath}`;
  const saml = samlOf(connection, settings, { requestId: flow.samlRequestId });
  let profile: Awaited<ReturnType<SAML["validatePostResponseAsync"]>>["profile"];
  try {
    ({ profile } = await saml.validatePostResponseAsync({ SAMLResponse: samlResponse }));
  } catch (error) {
    throw new SignInRefused("invalid_response", (error as Error).message);
  }
  if (!profile) throw new SignInRefused("invalid_response", "no assertion in the response");
  if (profile.issuer !== connection.samlIdpEntityId) {
    throw new SignInRefused(
      "invalid_response",
      `the assertion's issuer ${JSON.stringify(profile.issuer)} is not the connection's IdP`,
    );
  }
  // The Response element is outside the signed assertion: it is only read to refuse.
  const responseXml = profile.getSamlResponseXml?.() ?? "";
  const destination = /<(?:\w+:)?Response\b[^>]*\sDestination="([^"]*)"/.exec(responseXml)?.[1];
  if (destination !== undefined && destination !== acsUrl) {
    throw new SignInRefused(
      "invalid_response",
      `the response's Destination ${destination} is not our ACS`,
    );
  }
  const assertion = (profile.getAssertion?.() as { Assertion?: XmlJs } | undefined)?.Assertion;
  const assertionId = assertion?.$?.ID;
  if (!assertion || !assertionId)
    throw new SignInRefused("invalid_response", "assertion without ID");
  if (assertionId.length > 256)
    throw new SignInRefused("invalid_response", "assertion ID too long");
  // Every bearer confirmation must be for our ACS (node-saml checks their time)...
  const confirmations = (first(assertion.Subject)?.SubjectConfirmation ?? []) as XmlJs[];
  const recipients = confirmations.map((item) => first(item.SubjectConfirmationData)?.$?.Recipient);
  if (recipients.length === 0 || recipients.some((recipient) => recipient !== acsUrl)) {
    throw new SignInRefused(
      "invalid_response",
      `the subject confirmation's Recipient ${JSON.stringify(recipients)} is not our ACS`,
    );
  }
  // ...and answer our AuthnRequest inside the signed assertion: node-saml matches the unsigned
  // Response's InResponseTo, which anyone relaying an IdP-initiated assertion can set.
  const answering = confirmations.map(
    (item) => first(item.SubjectConfirmationData)?.$?.InResponseTo,
  );
  if (answering.some((inResponseTo) => inResponseTo !== flow.samlRequestId)) {
    throw new SignInRefused(
      "invalid_response",
      "the subject confirmation's InResponseTo is not our request",
    );
  }

  const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
  const nameId = profile.nameID ?? "";
  const candidates = [
    ...(profile.nameIDFormat === emailAddressFormat ? [nameId] : []),
    ...mailAttributes.flatMap((name) => asStrings(attributes[name])),
  ];
  const email = candidates.find((value) => /^[^\s@]+@[^\s@]+$/.test(value))?.toLowerCase();
  if (!email) {
    throw new SignInRefused("email_missing", "no email in the NameID nor in a mail attribute");
  }
  const groups = [...new Set(groupAttributes.flatMap((name) => asStrings(attributes[name])))];
  const one = (names: string[]) =>
    names.flatMap((name) => asStrings(attributes[name])).find((value) => value.trim() !== "");
  const given = one(["firstName", "givenName", givenNameClaim]);
  const family = one(["lastName", "sn", "surname", surnameClaim]);
  const name =
    one(["displayName", "name", displayNameClaim]) ??
    ([given, family].filter(Boolean).join(" ") || (email.split("@")[0] ?? email));

  const issuedAt = Date.parse(assertion.$?.IssueInstant ?? "");
  const notOnOrAfter = Date.parse(first(assertion.Conditions)?.$?.NotOnOrAfter ?? "");
  const limits = [issuedAt + maxAssertionAgeMs, notOnOrAfter].filter(Number.isFinite);
  const until = limits.length > 0 ? Math.min(...limits) : Date.now() + maxAssertionAgeMs;
  return {
    email,
    name: name.trim().slice(0, 200),
    groups: groups.slice(0, 500),
    subject: nameId,
    assertionId,
    replayableUntil: new Date(Math.max(until, Date.now()) + clockSkewMs),
  };
}
