import { type App, idCursor, registerListRoute } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { scimTokenListSchema } from "./schemas.ts";
import { listScimTokens } from "./tokens.ts";

export function registerListScimTokens(app: App, deps: GatewayDeps): void {
  registerListRoute(
    app,
    {
      operationId: "listScimTokens",
      path: "/v1/scim/tokens",
      tags: ["Enterprise sign-in"],
      summary: "The tenant's SCIM tokens, without the tokens themselves",
      minimum: "owner",
      page: { description: "A page of tokens", schema: scimTokenListSchema },
      problems: [401, 403, 422, 429],
    },
    idCursor,
    (tenantId, page) => listScimTokens(deps.sql, tenantId, page),
  );
}
