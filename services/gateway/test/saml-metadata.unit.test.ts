import { signingPair } from "@oryn/testing/saml-idp";
import { describe, expect, it } from "vitest";
import { parseSamlMetadata } from "../src/sso/saml-metadata.ts";

const [one, two, encryption, signer] = await Promise.all([
  signingPair("one"),
  signingPair("two"),
  signingPair("encryption"),
  signingPair("metadata-signer"),
]);
const wrap = (base64: string) => base64.replace(/(.{76})/g, "$1\n          ");

// Shaped like Entra ID's federation metadata: default namespace, a signature over the document
// (its certificate is not an IdP signing key), WS-Federation role descriptors with keys of their
// own, and in the IDPSSODescriptor two signing certificates (a rollover), folded, and an
// encryption one.
const entraLike = `<?xml version="1.0" encoding="utf-8"?>
<EntityDescriptor ID="_f00" entityID="https://sts.windows.net/0000-tenant/" xmlns="urn:oasis:names:tc:SAML:2.0:metadata">
  <Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><KeyInfo><X509Data><X509Certificate>${signer.certBase64}</X509Certificate></X509Data></KeyInfo></Signature>
  <RoleDescriptor xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706">
    <KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>${signer.certBase64}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>
  </RoleDescriptor>
  <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>
          ${wrap(one.certBase64)}
    </X509Certificate></X509Data></KeyInfo></KeyDescriptor>
    <KeyDescriptor><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>${two.certBase64}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>
    <KeyDescriptor use="encryption"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>${encryption.certBase64}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>
    <SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/0000-tenant/saml2"/>
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://login.microsoftonline.com/0000-tenant/saml2/post"/>
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/0000-tenant/saml2"/>
  </IDPSSODescriptor>
</EntityDescriptor>`;

describe("parseSamlMetadata", () => {
  it("reads Entra-shaped metadata: the IdP's signing certificates only, the redirect SSO URL", () => {
    expect(parseSamlMetadata(entraLike)).toEqual({
      entityId: "https://sts.windows.net/0000-tenant/",
      ssoUrl: "https://login.microsoftonline.com/0000-tenant/saml2",
      signingCerts: [one.certBase64, two.certBase64],
    });
  });

  it("refuses an http SSO URL unless allowed", () => {
    const plain = entraLike.replaceAll("https://login.", "http://login.");
    expect(() => parseSamlMetadata(plain)).toThrow(/must be https/);
    expect(parseSamlMetadata(plain, { allowHttp: true }).ssoUrl).toMatch(/^http:/);
  });

  it("refuses an SP's metadata (no IDPSSODescriptor)", () => {
    const sp = entraLike.replaceAll("IDPSSODescriptor", "SPSSODescriptor");
    expect(() => parseSamlMetadata(sp)).toThrow(/no IDPSSODescriptor/);
  });
});
