import { X509Certificate } from "node:crypto";
import { ApiError } from "@oryn/shared";
import { DOMParser, type Element } from "@xmldom/xmldom";
import { cappedBody } from "./capped-body.ts";

/** What a SAML connection keeps of its IdP's metadata, besides the XML itself. */
export type SamlIdpMetadata = {
  /** The IdP's entity id: an assertion's Issuer must be this. */
  entityId: string;
  /** Where AuthnRequests go (HTTP-Redirect binding). */
  ssoUrl: string;
  /** The IdP's signing certificates (base64 DER, as in the metadata's X509Certificate). */
  signingCerts: string[];
};

const metadataNs = "urn:oasis:names:tc:SAML:2.0:metadata";
const dsigNs = "http://www.w3.org/2000/09/xmldsig#";
const protocolNs = "urn:oasis:names:tc:SAML:2.0:protocol";
export const redirectBinding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const postBinding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

function refused(message: string): ApiError {
  return new ApiError("validation_failed", {
    detail: `The SAML metadata is not usable: ${message}`,
    errors: [{ path: "metadataXml", message }],
  });
}

function descendants(node: Element, ns: string, name: string): Element[] {
  return Array.from(node.getElementsByTagNameNS(ns, name));
}

/** `entity` itself when it is one, or the EntityDescriptors within (an EntitiesDescriptor). */
function entityDescriptorsOf(root: Element): Element[] {
  if (root.namespaceURI === metadataNs && root.localName === "EntityDescriptor") {
    return [root, ...descendants(root, metadataNs, "EntityDescriptor")];
  }
  if (root.namespaceURI === metadataNs && root.localName === "EntitiesDescriptor") {
    return descendants(root, metadataNs, "EntityDescriptor");
  }
  return [];
}

/** The certificate's base64 DER, once node:crypto has read it as an X.509 certificate. */
function certificateOf(text: string): string | undefined {
  const base64 = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  try {
    new X509Certificate(Buffer.from(base64, "base64"));
    return base64;
  } catch {
    return undefined;
  }
}

/**
 * Reads an IdP's metadata XML (one EntityDescriptor with an IDPSSODescriptor, as Okta, Entra ID
 * and Google Workspace export it): the entity id, the single sign-on URL of the HTTP-Redirect
 * binding (our AuthnRequests go by redirect) and the signing certificates. Each way it can be
 * unusable is a 422 naming it. A DOCTYPE is refused outright: no entity is ever expanded. The
 * SSO URL must be https:// unless `allowHttp` (SSO_ALLOW_PRIVATE_ISSUERS).
 */
export function parseSamlMetadata(
  metadataXml: string,
  options: { allowHttp: boolean } = { allowHttp: false },
): SamlIdpMetadata {
  if (/<!DOCTYPE/i.test(metadataXml)) throw refused("a DOCTYPE is not allowed");
  let root: Element | null;
  try {
    const document = new DOMParser({
      onError: (level, message) => {
        if (level !== "warning") throw new Error(message);
      },
    }).parseFromString(metadataXml, "text/xml");
    root = document.documentElement;
  } catch {
    throw refused("it is not well-formed XML");
  }
  if (!root) throw refused("it is not well-formed XML");
  const entities = entityDescriptorsOf(root);
  if (entities.length === 0) throw refused("it holds no SAML 2.0 EntityDescriptor");
  if (entities.length > 1) {
    throw refused("it holds several EntityDescriptors: paste the one of your identity provider");
  }
  const entity = entities[0] as Element;
  const entityId = entity.getAttribute("entityID")?.trim() ?? "";
  if (!entityId) throw refused("the EntityDescriptor has no entityID");
  if (entityId.length > 1000) throw refused("the entityID is longer than 1000 characters");
  const idp = descendants(entity, metadataNs, "IDPSSODescriptor").find((descriptor) =>
    (descriptor.getAttribute("protocolSupportEnumeration") ?? "").split(/\s+/).includes(protocolNs),
  );
  if (!idp) throw refused("it has no IDPSSODescriptor supporting SAML 2.0");

  const services = descendants(idp, metadataNs, "SingleSignOnService");
  const redirect = services.find((service) => service.getAttribute("Binding") === redirectBinding);
  if (!redirect) {
    throw refused(
      services.some((service) => service.getAttribute("Binding") === postBinding)
        ? "it has no SingleSignOnService with the HTTP-Redirect binding (only HTTP-POST, which Oryn does not send requests by)"
        : "it has no SingleSignOnService",
    );
  }
  const ssoUrl = redirect.getAttribute("Location")?.trim() ?? "";
  if (!URL.canParse(ssoUrl) || !/^https?:$/.test(new URL(ssoUrl).protocol)) {
    throw refused("the SingleSignOnService Location is not an http(s) URL");
  }
  if (ssoUrl.length > 2000) throw refused("the SingleSignOnService Location is too long");
  // The browser carries the request there and signs in there: never over plain http, but in
  // tests and with a local IdP (SSO_ALLOW_PRIVATE_ISSUERS).
  if (!options.allowHttp && new URL(ssoUrl).protocol !== "https:") {
    throw refused("the SingleSignOnService Location must be https://");
  }

  const signingCerts: string[] = [];
  for (const key of descendants(idp, metadataNs, "KeyDescriptor")) {
    const use = key.getAttribute("use");
    if (use && use !== "signing") continue;
    for (const cert of descendants(key, dsigNs, "X509Certificate")) {
      const der = certificateOf(cert.textContent ?? "");
      if (!der) throw refused("an X509Certificate of a signing KeyDescriptor is not a certificate");
      if (!signingCerts.includes(der)) signingCerts.push(der);
    }
  }
  if (signingCerts.length === 0) throw refused("it has no signing certificate (KeyDescriptor)");
  if (signingCerts.length > 5) throw refused("it has more than 5 signing certificates");
  return { entityId, ssoUrl, signingCerts };
}

/** The largest metadata document read, from a body or a URL. */
export const maxMetadataBytes = 200_000;

const notFetched = "the metadata URL could not be fetched or is not allowed";

/**
 * The owner learns that the URL did not work, never why: the reason (refused private address,
 * DNS failure, HTTP status…) would let an owner probe the gateway's network. It is logged.
 */
function urlRefused(reason: string, log: MetadataLog | undefined): ApiError {
  log?.warn({ reason }, "SAML metadata URL not fetched");
  return new ApiError("validation_failed", {
    detail: `The SAML ${notFetched}`,
    errors: [{ path: "metadataUrl", message: notFetched }],
  });
}

type MetadataLog = { warn(fields: Record<string, unknown>, message: string): void };

/**
 * Reads an IdP's metadata from its URL, once, at creation (what is stored is the XML). The URL
 * is tenant-chosen: the call follows the outbound rule (no loopback, private, link-local or
 * metadata address, checked on the address connected to) and `https://` only, unless
 * SSO_ALLOW_PRIVATE_ISSUERS; no redirect is followed; 10 s and 200 kB at most.
 */
export async function fetchSamlMetadata(
  metadataUrl: string,
  fetcher: (url: string, init: RequestInit) => Promise<Response>,
  options: { allowHttp: boolean; logger?: MetadataLog },
): Promise<string> {
  const url = new URL(metadataUrl);
  if (url.protocol !== "https:" && !(options.allowHttp && url.protocol === "http:")) {
    // What the owner typed, not what the network said: told as is.
    throw new ApiError("validation_failed", {
      detail: "The SAML metadata URL must be https://",
      errors: [{ path: "metadataUrl", message: "it must be https://" }],
    });
  }
  const log = options.logger;
  let response: Response;
  try {
    response = await fetcher(url.href, {
      method: "GET",
      headers: { accept: "application/samlmetadata+xml, application/xml, text/xml" },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    const cause = (error as { cause?: Error }).cause ?? (error as Error);
    throw urlRefused(cause.message.slice(0, 200), log);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw urlRefused(`it answered HTTP ${response.status}`, log);
  }
  const body = await cappedBody(response.body, maxMetadataBytes, () =>
    urlRefused(`it is larger than ${maxMetadataBytes} bytes`, log),
  );
  return body.toString("utf8");
}
