import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { listGroupRoles } from "../sso/group-roles.ts";
import { groupRolesSchema } from "./schemas.ts";

const route = createRoute({
  method: "get",
  operationId: "listGroupRoles",
  path: "/v1/sso/group-roles",
  tags: ["Enterprise sign-in"],
  summary: "Which role each directory group gives (SCIM groups and SSO group claims)",
  ...access("owner"),
  responses: {
    200: {
      description: "The mapping",
      content: { "application/json": { schema: groupRolesSchema } },
    },
    ...problemResponses(401, 403, 429),
  },
});

export function registerListGroupRoles(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const items = await listGroupRoles(deps.sql, principalOf(c).tenantId);
    return c.json({ items }, 200);
  });
}
