import { createRoute } from "@hono/zod-openapi";
import { type App, access, idCursor, pageQuery, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { listPendingInvitations } from "./invitations.ts";
import { invitationListSchema } from "./schemas.ts";

const route = createRoute({
  method: "get",
  operationId: "listInvitations",
  path: "/v1/invitations",
  tags: ["Invitations"],
  summary: "Invitations not yet accepted, revoked or expired",
  ...access("admin"),
  request: { query: pageQuery },
  responses: {
    200: {
      description: "A page of invitations",
      content: { "application/json": { schema: invitationListSchema } },
    },
    ...problemResponses(401, 403, 422, 429),
  },
});

export function registerListInvitations(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await listPendingInvitations(deps.sql, principalOf(c).tenantId, {
      limit,
      after: idCursor.decode(cursor),
    });
    return c.json(page, 200);
  });
}
