import { type App, createdAtCursor, registerListRoute } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { listConnections } from "./connections.ts";
import { connectionListSchema } from "./schemas.ts";

export function registerListConnections(app: App, deps: GatewayDeps): void {
  registerListRoute(
    app,
    {
      operationId: "listSsoConnections",
      path: "/v1/sso/connections",
      tags: ["Enterprise sign-in"],
      summary: "The tenant's SSO connections, without their secrets",
      minimum: "admin",
      page: { description: "A page of connections", schema: connectionListSchema },
      problems: [401, 403, 422, 429],
    },
    createdAtCursor,
    (tenantId, page) => listConnections(deps.sql, tenantId, page, deps.sso),
  );
}
