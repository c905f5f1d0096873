import { type App, idCursor, registerListRoute } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { listPendingInvitations } from "./invitations.ts";
import { invitationListSchema } from "./schemas.ts";

export function registerListInvitations(app: App, deps: GatewayDeps): void {
  registerListRoute(
    app,
    {
      operationId: "listInvitations",
      path: "/v1/invitations",
      tags: ["Invitations"],
      summary: "Invitations not yet accepted, revoked or expired",
      minimum: "admin",
      page: { description: "A page of invitations", schema: invitationListSchema },
      problems: [401, 403, 422, 429],
    },
    idCursor,
    (tenantId, page) => listPendingInvitations(deps.sql, tenantId, page),
  );
}
