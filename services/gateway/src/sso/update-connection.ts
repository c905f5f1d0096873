import { createRoute } from "@hono/zod-openapi";
import { type App, access, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { callerOf } from "../lib/request.ts";
import { idParams } from "../lib/schemas.ts";
import { updateConnection } from "./connections.ts";
import { issuerFetch } from "./oidc-client.ts";
import { fetchSamlMetadata } from "./saml-metadata.ts";
import { connectionSchema, updateConnectionBody } from "./schemas.ts";

const route = createRoute({
  method: "patch",
  operationId: "updateSsoConnection",
  path: "/v1/sso/connections/{id}",
  tags: ["Enterprise sign-in"],
  summary:
    "Enable or disable a connection, change its default role, require SSO (`enforce`), rotate its secret or SAML metadata",
  ...access("owner"),
  request: {
    params: idParams,
    body: { content: { "application/json": { schema: updateConnectionBody } }, required: true },
  },
  responses: {
    200: {
      description: "The changed connection",
      content: { "application/json": { schema: connectionSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 409, 415, 422, 429),
  },
});

export function registerUpdateConnection(app: App, deps: GatewayDeps): void {
  // SAML metadata URLs are tenant-chosen: fetched under the issuers' outbound rule.
  const metadataFetch = issuerFetch({
    allowPrivate: deps.sso.allowPrivateIssuers,
  }) as unknown as (url: string, init: RequestInit) => Promise<Response>;
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const { metadataUrl, ...input } = c.req.valid("json");
    // Read before the transaction: no connection is held while the IdP answers.
    const metadataXml =
      metadataUrl === undefined
        ? input.metadataXml
        : await fetchSamlMetadata(metadataUrl, metadataFetch, {
            allowHttp: deps.sso.allowPrivateIssuers,
            logger: c.get("logger"),
          });
    const connection = await deps.sql.begin((tx) =>
      updateConnection(
        tx,
        caller,
        c.req.valid("param").id,
        metadataXml === undefined ? input : { ...input, metadataXml },
        deps.sso,
      ),
    );
    return c.json(connection, 200);
  });
}
