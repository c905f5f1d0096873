import { createRoute } from "@hono/zod-openapi";
import { type App, access, problemResponses } from "@oryn/shared";
import { assertTenantWritable } from "../access/restricted-tenants.ts";
import type { GatewayDeps } from "../deps.ts";
import { callerOf } from "../lib/request.ts";
import { changeMemberRole } from "./members.ts";
import { memberParams, memberSchema, roleChangeBody } from "./schemas.ts";

const route = createRoute({
  method: "patch",
  operationId: "changeMemberRole",
  path: "/v1/members/{userId}",
  tags: ["Members"],
  summary: "Change a member's role; only owners make or unmake owners",
  ...access("admin"),
  request: {
    params: memberParams,
    body: { content: { "application/json": { schema: roleChangeBody } }, required: true },
  },
  responses: {
    200: { description: "The member", content: { "application/json": { schema: memberSchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 415, 422, 429),
  },
});

export function registerChangeMemberRole(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const { userId } = c.req.valid("param");
    const { role } = c.req.valid("json");
    await assertTenantWritable(deps.sql, caller.principal.tenantId);
    const member = await deps.sql.begin((tx) => changeMemberRole(tx, caller, userId, role));
    // This process refuses tokens with the old role now; other gateways within a poll.
    await deps.revocations.refresh().catch(() => undefined);
    return c.json(member, 200);
  });
}
