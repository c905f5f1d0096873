import { z } from "@hono/zod-openapi";
import { pageSchema, text } from "@oryn/shared";

/** The role a person gets at their first sign-in; owners are made by owners, never by an IdP. */
export const defaultRoleSchema = z.enum(["admin", "member"]).openapi({
  description: "The role of a person created at their first sign-in through this connection",
});

const issuer = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .refine((value) => !value.includes("?") && !value.includes("#"), "no query or fragment")
  // Refinements run even when `url()` failed: only a URL that parses is looked into.
  .refine((value) => {
    const parsed = URL.canParse(value) ? new URL(value) : null;
    return !parsed?.username && !parsed?.password;
  }, "must not carry a user or password")
  .openapi({
    description:
      "The IdP's issuer URL, exactly as its discovery document (`/.well-known/openid-configuration`) names it",
    example: "https://acme.okta.com",
  });

export const createOidcConnectionBody = z
  .object({
    type: z.literal("oidc"),
    issuer,
    clientId: text({ min: 1, max: 500 }),
    clientSecret: text({ min: 1, max: 2000, trim: false }).openapi({
      description: "Stored encrypted; never returned",
    }),
    defaultRole: defaultRoleSchema.optional(),
  })
  .openapi("CreateOidcConnection");

export const createSamlConnectionBody = z
  .object({
    type: z.literal("saml"),
    metadataXml: z.string().min(1).max(200_000).optional().openapi({
      description: "The IdP's SAML 2.0 metadata (an EntityDescriptor); or give metadataUrl",
    }),
    metadataUrl: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional()
      .openapi({
        description:
          "Where the IdP publishes its metadata (https); read once, at creation. Or give metadataXml",
        example: "https://acme.okta.com/app/exk1a2b3c4d5e6f7g8h9/sso/saml/metadata",
      }),
    defaultRole: defaultRoleSchema.optional(),
  })
  .refine((value) => (value.metadataXml === undefined) !== (value.metadataUrl === undefined), {
    message: "give either metadataXml or metadataUrl",
    path: ["metadataXml"],
  })
  .openapi("CreateSamlConnection");

export const createConnectionBody = z
  .discriminatedUnion("type", [createOidcConnectionBody, createSamlConnectionBody])
  .openapi("CreateSsoConnection");

export type CreateConnectionInput = z.infer<typeof createConnectionBody>;

export const updateConnectionBody = z
  .object({
    status: z.enum(["enabled", "disabled"]).optional(),
    defaultRole: defaultRoleSchema.optional(),
    enforce: z.boolean().optional().openapi({
      description:
        "Refuse password login and reset to the people of the tenant's verified domains (owners keep a password)",
    }),
    // OIDC only: a new client secret (a rotation at the IdP).
    clientSecret: text({ min: 1, max: 2000, trim: false }).optional(),
    // SAML only: the IdP's metadata again (a certificate rollover), the entity id ours unchanged.
    metadataXml: z.string().min(1).max(200_000).optional().openapi({
      description:
        "SAML: the IdP's metadata anew (e.g. after a certificate rollover); our entityId and acsUrl stay",
    }),
    metadataUrl: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional()
      .openapi({ description: "SAML: or where to read it (once, now)" }),
  })
  .refine((value) => value.metadataXml === undefined || value.metadataUrl === undefined, {
    message: "give metadataXml or metadataUrl, not both",
    path: ["metadataXml"],
  })
  .openapi("UpdateSsoConnection");

export type UpdateConnectionInput = z.infer<typeof updateConnectionBody>;

export const connectionSchema = z
  .object({
    id: z.uuid(),
    type: z.enum(["oidc", "saml"]),
    status: z.enum(["enabled", "disabled"]),
    defaultRole: defaultRoleSchema,
    enforce: z.boolean(),
    issuer: z.string().optional().openapi({ description: "OIDC: the IdP's issuer" }),
    clientId: z.string().optional().openapi({ description: "OIDC: our client id at the IdP" }),
    redirectUri: z.string().optional().openapi({
      description: "OIDC: the redirect URI to register at the IdP",
    }),
    idpEntityId: z.string().optional().openapi({ description: "SAML: the IdP's entity id" }),
    acsUrl: z.string().optional().openapi({
      description: "SAML: our Assertion Consumer Service URL, to register at the IdP",
    }),
    entityId: z.string().optional().openapi({
      description: "SAML: our entity id (audience), to register at the IdP",
    }),
    version: z.number().int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("SsoConnection");

export type Connection = z.infer<typeof connectionSchema>;

export const connectionListSchema = pageSchema(connectionSchema).openapi("SsoConnectionList");
