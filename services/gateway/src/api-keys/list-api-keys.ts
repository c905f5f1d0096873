import { type App, idCursor, registerListRoute } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { listApiKeys } from "./api-keys.ts";
import { apiKeyListSchema } from "./schemas.ts";

export function registerListApiKeys(app: App, deps: GatewayDeps): void {
  registerListRoute(
    app,
    {
      operationId: "listApiKeys",
      path: "/v1/api-keys",
      tags: ["API keys"],
      summary: "The tenant's API keys, without the keys themselves",
      minimum: "admin",
      page: { description: "A page of keys", schema: apiKeyListSchema },
      problems: [401, 403, 422, 429],
    },
    idCursor,
    (tenantId, page) => listApiKeys(deps.sql, tenantId, page),
  );
}
