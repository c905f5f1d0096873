import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { securityLogQuery, securityLogSchema } from "./schemas.ts";
import { decodeEventCursor, listSecurityEvents } from "./security-events.ts";

const route = createRoute({
  method: "get",
  path: "/v1/security-log",
  operationId: "listSecurityEvents",
  tags: ["Security log"],
  summary: "The tenant's security log: sign-ins, members, invitations, API keys, account changes",
  description:
    "The control-plane audit events of the tenant, and the account events of its members (failed logins, password and email changes), newest first. The tenant's own data changes are in `GET /v1/audit-log`.",
  ...access("admin"),
  request: { query: securityLogQuery },
  responses: {
    200: {
      description: "A page of events",
      content: { "application/json": { schema: securityLogSchema } },
    },
    ...problemResponses(401, 403, 422, 429),
  },
});

export function registerListSecurityEvents(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const { limit, cursor, actor } = c.req.valid("query");
    const page = await listSecurityEvents(deps.sql, principalOf(c).tenantId, {
      limit,
      before: decodeEventCursor(cursor),
      actor,
    });
    return c.json(page, 200);
  });
}
