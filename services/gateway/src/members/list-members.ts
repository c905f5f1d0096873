import { type App, idCursor, registerListRoute } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { listMembers } from "./members.ts";
import { memberListSchema } from "./schemas.ts";

export function registerListMembers(app: App, deps: GatewayDeps): void {
  registerListRoute(
    app,
    {
      operationId: "listMembers",
      path: "/v1/members",
      tags: ["Members"],
      summary: "The tenant's members",
      minimum: "member",
      page: { description: "A page of members", schema: memberListSchema },
      problems: [401, 422, 429],
    },
    idCursor,
    (tenantId, page) => listMembers(deps.sql, tenantId, page),
  );
}
