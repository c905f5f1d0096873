import { type App, createdAtCursor, registerListRoute } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { listDomains } from "./domains.ts";
import { domainListSchema } from "./schemas.ts";

export function registerListDomains(app: App, deps: GatewayDeps): void {
  registerListRoute(
    app,
    {
      operationId: "listDomains",
      path: "/v1/domains",
      tags: ["Enterprise sign-in"],
      summary: "The tenant's claimed and verified domains",
      minimum: "admin",
      page: { description: "A page of domains", schema: domainListSchema },
      problems: [401, 403, 422, 429],
    },
    createdAtCursor,
    (tenantId, page) => listDomains(deps.sql, tenantId, page),
  );
}
