import { type App, createdRoute, onceForKey } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { idempotencyOf, setAnswerHeaders } from "../lib/idempotency.ts";
import { callerOf } from "../lib/request.ts";
import { createConnection } from "./connections.ts";
import { issuerFetch } from "./oidc-client.ts";
import { fetchSamlMetadata } from "./saml-metadata.ts";
import { type Connection, connectionSchema, createConnectionBody } from "./schemas.ts";

const route = createdRoute({
  operationId: "createSsoConnection",
  path: "/v1/sso/connections",
  tags: ["Enterprise sign-in"],
  summary: "Connect an identity provider (OIDC or SAML); its secrets are never shown again",
  description:
    "At most SSO_MAX_CONNECTIONS_PER_TENANT connections per tenant (409 beyond). SAML metadata (one EntityDescriptor with an IDPSSODescriptor, an HTTP-Redirect SingleSignOnService and a signing certificate) is read at creation: 422 naming what is missing or wrong.",
  minimum: "owner",
  body: createConnectionBody,
  created: {
    description: "The connection, with the redirect URI (OIDC) or ACS URL (SAML) to register",
    schema: connectionSchema,
  },
  problems: [400, 401, 403, 409, 415, 422, 429],
});

export function registerCreateConnection(app: App, deps: GatewayDeps): void {
  // SAML metadata URLs are tenant-chosen: fetched under the issuers' outbound rule.
  const metadataFetch = issuerFetch({
    allowPrivate: deps.sso.allowPrivateIssuers,
  }) as unknown as (url: string, init: RequestInit) => Promise<Response>;
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const input = c.req.valid("json");
    const idempotency = idempotencyOf(c, deps, c.req.valid("header")["idempotency-key"], input);
    // A SAML metadata URL is read before the transaction: no connection is held while it answers.
    const metadataXml =
      input.type === "saml" && input.metadataUrl !== undefined
        ? await fetchSamlMetadata(input.metadataUrl, metadataFetch, {
            allowHttp: deps.sso.allowPrivateIssuers,
            logger: c.get("logger"),
          })
        : undefined;
    const answer = await deps.sql.begin((tx) =>
      onceForKey<Connection>(tx, idempotency, async () => {
        const created = await createConnection(
          tx,
          caller,
          input.type === "saml" && metadataXml !== undefined ? { ...input, metadataXml } : input,
          deps.sso,
        );
        return {
          status: 201,
          body: created,
          headers: { location: `/v1/sso/connections/${created.id}` },
        };
      }),
    );
    setAnswerHeaders(c, answer);
    return c.json(answer.body, 201);
  });
}
