import { createRoute } from "@hono/zod-openapi";
import { type App, access, problemResponses } from "@oryn/shared";
import { assertTenantWritable } from "../access/restricted-tenants.ts";
import type { GatewayDeps } from "../deps.ts";
import { callerOf } from "../lib/request.ts";
import { setGroupRoles } from "./group-roles.ts";
import { groupRolesSchema } from "./schemas.ts";

const route = createRoute({
  method: "put",
  operationId: "replaceGroupRoles",
  path: "/v1/sso/group-roles",
  tags: ["Enterprise sign-in"],
  summary: "Replace the mapping of directory groups to roles",
  description:
    "The highest role among a person's mapped groups wins; people in no mapped group keep their default. Directory (SCIM) members' roles follow at once; the tenant's last owner is never demoted this way. 422 when a group is named twice.",
  ...access("owner"),
  request: {
    body: { content: { "application/json": { schema: groupRolesSchema } }, required: true },
  },
  responses: {
    200: {
      description: "The mapping now",
      content: { "application/json": { schema: groupRolesSchema } },
    },
    ...problemResponses(400, 401, 403, 415, 422, 429),
  },
});

export function registerReplaceGroupRoles(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const { items } = c.req.valid("json");
    await assertTenantWritable(deps.sql, caller.principal.tenantId);
    const after = await deps.sql.begin((tx) => setGroupRoles(tx, caller, items));
    return c.json({ items: after }, 200);
  });
}
