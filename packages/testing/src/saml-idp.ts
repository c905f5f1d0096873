/**
 * A SAML 2.0 identity provider on a local port, built with samlify (another author's SAML
 * library than the gateway's @node-saml/node-saml): it reads the gateway's AuthnRequest from the
 * HTTP-Redirect binding, and answers with a SAMLResponse whose assertion samlify signs with a key
 * pair made at start (RSA 2048, a self-signed certificate from @peculiar/x509). What the next
 * answer gets wrong on purpose (unsigned, expired, another audience…) is the test's to choose.
 */
import { randomUUID, webcrypto } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inflateRawSync } from "node:zlib";
// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata API.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import * as samlify from "samlify";

x509.cryptoProvider.set(webcrypto as Crypto);

// samlify checks messages it parses against the SAML schemas through a validator of one's
// choice; the AuthnRequests it parses here are the gateway's, read only for their ID and ACS.
samlify.setSchemaValidator({ validate: async () => "skipped" });

export type SigningPair = { privateKeyPem: string; certBase64: string };

/** A fresh RSA key and a self-signed certificate for it. */
export async function signingPair(commonName = "oryn-test-idp"): Promise<SigningPair> {
  const algorithm = {
    name: "RSASSA-PKCS1-v1_5",
    hash: "SHA-256",
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingAlgorithm: algorithm,
    keys: keys as CryptoKeyPair,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const privateKeyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")}\n-----END PRIVATE KEY-----\n`;
  return { privateKeyPem, certBase64: Buffer.from(cert.rawData).toString("base64") };
}

const escapeXml = (value: string) => value.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** What the next answer says; each field defaults to what a correct IdP sends. */
export type AnswerOptions = {
  email?: string;
  /** Sent as NameID (format emailAddress) unless `nameIdFormat` says otherwise. */
  nameIdFormat?: string;
  attributes?: Record<string, string[]>;
  issuer?: string;
  audience?: string;
  recipient?: string;
  destination?: string;
  inResponseTo?: string;
  /**
   * The InResponseTo of the assertion's SubjectConfirmationData alone (null: none, as an
   * IdP-initiated assertion has); the Response's stays `inResponseTo`.
   */
  confirmationInResponseTo?: string | null;
  /** Minutes from now; negative for an assertion already expired. */
  notOnOrAfterMinutes?: number;
  issuedMinutesAgo?: number;
  /**
   * Unsigned (no signature at all), signed by another key than the metadata's, or `response`:
   * the Response signed (covering the assertion) but the assertion itself unsigned.
   */
  signature?: "valid" | "none" | "foreign" | "previous" | "response";
};

export type SamlIdp = {
  url: string;
  entityId: string;
  ssoUrl: string;
  metadataXml: string;
  pair: SigningPair;
  /** What the IdP got last: the AuthnRequest's ID, its issuer and ACS URL, and the RelayState. */
  lastRequest: { id: string; issuer: string; acsUrl: string; relayState: string } | undefined;
  /** The answer the next sign-in gets (the test sets it before following the redirect). */
  next: AnswerOptions;
  /**
   * Signs a person in for the AuthnRequest in `authorizeLocation` (our 302's Location):
   * answers what the browser would post to the ACS.
   */
  signIn(
    authorizeLocation: string,
    options?: AnswerOptions,
  ): Promise<{ samlResponse: string; relayState: string; acsUrl: string }>;
  /** A response for a request id and ACS of the caller's choosing, as `signIn` builds them. */
  respond(
    request: { id: string; acsUrl: string; spEntityId: string },
    options?: AnswerOptions,
  ): Promise<string>;
  /** A certificate rollover: a new key pair, in the metadata and signing from now on. */
  rotate(): Promise<void>;
  close(): Promise<void>;
};

export async function startSamlIdp(name = "idp"): Promise<SamlIdp> {
  const pair = await signingPair(name);
  const foreign = await signingPair(`${name}-impostor`);
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const entityId = `${url}/${name}/metadata`;
  const ssoUrl = `${url}/sso`;
  const metadataXml = idpMetadata(entityId, ssoUrl, pair.certBase64);
  const idpOf = (key: SigningPair) =>
    samlify.IdentityProvider({
      metadata: idpMetadata(entityId, ssoUrl, key.certBase64),
      privateKey: key.privateKeyPem,
      requestSignatureAlgorithm: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    });
  let idp = idpOf(pair);
  let previous = idp;
  const impostor = idpOf(foreign);

  const state: SamlIdp = {
    url,
    entityId,
    ssoUrl,
    metadataXml,
    pair,
    lastRequest: undefined,
    next: {},
    async signIn(authorizeLocation, options) {
      const location = new URL(authorizeLocation);
      if (`${location.origin}${location.pathname}` !== ssoUrl) {
        throw new Error(`the gateway sent the browser to ${location.href}, not to this IdP`);
      }
      const request = parseAuthnRequest(location);
      state.lastRequest = request;
      const samlResponse = await state.respond(
        { id: request.id, acsUrl: request.acsUrl, spEntityId: request.issuer },
        options ?? state.next,
      );
      return { samlResponse, relayState: request.relayState, acsUrl: request.acsUrl };
    },
    async respond(request, options = {}) {
      const now = Date.now();
      const minutes = (n: number) => new Date(now + n * 60_000).toISOString();
      const email = options.email ?? "someone@example.com";
      const issuer = options.issuer ?? entityId;
      const attributes = Object.entries(options.attributes ?? {})
        .map(
          ([attribute, values]) =>
            `<saml:Attribute Name="${escapeXml(attribute)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified">${values
              .map(
                (value) =>
                  `<saml:AttributeValue xsi:type="xs:string">${escapeXml(value)}</saml:AttributeValue>`,
              )
              .join("")}</saml:Attribute>`,
        )
        .join("");
      const issued = minutes(-(options.issuedMinutesAgo ?? 0));
      const notOnOrAfter = minutes(options.notOnOrAfterMinutes ?? 5);
      const inResponseTo = options.inResponseTo ?? request.id;
      const confirmationInResponseTo =
        options.confirmationInResponseTo === undefined
          ? inResponseTo
          : options.confirmationInResponseTo;
      const xml =
        `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_${randomUUID()}" Version="2.0" IssueInstant="${issued}" Destination="${escapeXml(options.destination ?? request.acsUrl)}" InResponseTo="${escapeXml(inResponseTo)}">` +
        `<saml:Issuer>${escapeXml(issuer)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
        `<saml:Assertion xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema" ID="_${randomUUID()}" Version="2.0" IssueInstant="${issued}">` +
        `<saml:Issuer>${escapeXml(issuer)}</saml:Issuer>` +
        `<saml:Subject><saml:NameID Format="${escapeXml(options.nameIdFormat ?? "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")}">${escapeXml(email)}</saml:NameID>` +
        `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter}" Recipient="${escapeXml(options.recipient ?? request.acsUrl)}"${confirmationInResponseTo === null ? "" : ` InResponseTo="${escapeXml(confirmationInResponseTo)}"`}/></saml:SubjectConfirmation></saml:Subject>` +
        `<saml:Conditions NotBefore="${minutes(-(options.issuedMinutesAgo ?? 0) - 1)}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${escapeXml(options.audience ?? request.spEntityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
        `<saml:AuthnStatement AuthnInstant="${issued}" SessionIndex="_${randomUUID()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
        (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : "") +
        `</saml:Assertion></samlp:Response>`;
      const signature = options.signature ?? "valid";
      if (signature === "none") return Buffer.from(xml).toString("base64");
      // samlify signs the assertion, as the SP's metadata asks (WantAssertionsSigned); or, when
      // the SP is said not to want it, the whole Response instead.
      const sp = samlify.ServiceProvider({
        entityID: request.spEntityId,
        wantAssertionsSigned: signature !== "response",
        assertionConsumerService: [
          { Binding: samlify.Constants.namespace.binding.post, Location: request.acsUrl },
        ],
      });
      const signer = { valid: idp, response: idp, foreign: impostor, previous }[signature];
      const { context } = await signer.createLoginResponse(
        sp,
        { extract: { request: { id: request.id } } },
        "post",
        { email },
        () => ({ id: "", context: xml }),
      );
      return context;
    },
    async rotate() {
      const next = await signingPair(name);
      previous = idp;
      idp = idpOf(next);
      state.pair = next;
      state.metadataXml = idpMetadata(entityId, ssoUrl, next.certBase64);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };

  // A browser that follows the gateway's redirect here gets the auto-posting form an IdP serves.
  server.on("request", (req, res) => {
    if (req.url === new URL(entityId).pathname) {
      // The metadata, where Okta and Entra ID publish theirs (its URL is the entity id here).
      res.writeHead(200, { "content-type": "application/samlmetadata+xml" });
      res.end(state.metadataXml);
      return;
    }
    void (async () => {
      try {
        const { samlResponse, relayState, acsUrl } = await state.signIn(`${url}${req.url}`);
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(
          `<form method="post" action="${escapeXml(acsUrl)}"><input type="hidden" name="SAMLResponse" value="${samlResponse}"/><input type="hidden" name="RelayState" value="${escapeXml(relayState)}"/></form><script>document.forms[0].submit()</script>`,
        );
      } catch (error) {
        res.writeHead(400, { "content-type": "text/plain" });
        res.end(String(error));
      }
    })();
  });
  return state;
}

/** The AuthnRequest of an HTTP-Redirect URL: deflated, base64, in `SAMLRequest`. */
function parseAuthnRequest(location: URL): {
  id: string;
  issuer: string;
  acsUrl: string;
  relayState: string;
} {
  const encoded = location.searchParams.get("SAMLRequest");
  if (!encoded) throw new Error("no SAMLRequest in the redirect");
  const xml = inflateRawSync(Buffer.from(encoded, "base64")).toString("utf8");
  const extracted = samlify.Extractor.extract(xml, samlify.Extractor.loginRequestFields) as {
    request?: { id?: string; assertionConsumerServiceUrl?: string };
    issuer?: string;
  };
  const id = extracted.request?.id;
  const acsUrl = extracted.request?.assertionConsumerServiceUrl;
  if (!id || !acsUrl || !extracted.issuer)
    throw new Error(`an AuthnRequest without ID, ACS or issuer: ${xml}`);
  return {
    id,
    issuer: extracted.issuer,
    acsUrl,
    relayState: location.searchParams.get("RelayState") ?? "",
  };
}

/** IdP metadata as Okta or Entra ID export it: one entity, a signing key, the SSO endpoints. */
export function idpMetadata(entityId: string, ssoUrl: string, certBase64: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${escapeXml(entityId)}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data><ds:X509Certificate>${certBase64}</ds:X509Certificate></ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${escapeXml(ssoUrl)}"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${escapeXml(ssoUrl)}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}
