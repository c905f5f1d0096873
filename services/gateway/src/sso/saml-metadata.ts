import { ApiError } from "@oryn/shared";

/** What a SAML connection keeps of its IdP's metadata, besides the XML itself. */
export type SamlIdpMetadata = {
  /** The IdP's entity id: an assertion's Issuer must be this. */
  entityId: string;
  /** Where AuthnRequests go (HTTP-Redirect binding). */
  ssoUrl: string;
  /** The IdP's signing certificates (base64 DER, as in the metadata's X509Certificate). */
  signingCerts: string[];
};

/**
 * THE SEAM FOR SAML: reads an IdP's metadata XML. Until SAML sign-in is built (on top of this
 * branch), no SAML connection can be created: a clear 422 rather than a connection that cannot
 * sign anybody in.
 */
export function parseSamlMetadata(_metadataXml: string): SamlIdpMetadata {
  throw new ApiError("validation_failed", {
    detail: "SAML connections are not available yet: use an OIDC connection",
    errors: [{ path: "type", message: "saml is not available yet" }],
  });
}
