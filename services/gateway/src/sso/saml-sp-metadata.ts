import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, type App, problemResponses, publicAccess } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { samlServiceProviderMetadata } from "./saml.ts";
import { findSamlConnection } from "./sso-connections.ts";

const route = createRoute({
  method: "get",
  operationId: "getSamlServiceProviderMetadata",
  path: "/v1/sso/saml/metadata/{id}",
  tags: ["Enterprise sign-in"],
  summary: "Our SAML service-provider metadata for one SAML connection (its URL is our entity id)",
  description:
    "Public, as the identity provider reads it: the entity id, the Assertion Consumer Service (HTTP-POST), the NameID format wanted (emailAddress) and that assertions must be signed.",
  ...publicAccess("anyone"),
  request: {
    params: z.object({
      id: z
        .string()
        .max(100)
        .openapi({ param: { name: "id", in: "path" } }),
    }),
  },
  responses: {
    200: {
      description: "An md:EntityDescriptor with an SPSSODescriptor",
      content: { "application/samlmetadata+xml": { schema: z.string() } },
    },
    ...problemResponses(404, 429),
  },
});

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function registerSamlServiceProviderMetadata(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    // Any tenant's SAML connection: the metadata is public, as the IdP must read it unsigned-in.
    const row = uuid.test(id) ? await findSamlConnection(deps.sql, id) : undefined;
    if (!row) throw new ApiError("not_found");
    c.header("content-type", "application/samlmetadata+xml; charset=utf-8");
    return c.body(samlServiceProviderMetadata(row, deps.sso), 200);
  });
}
