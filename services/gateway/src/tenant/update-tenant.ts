import { createRoute } from "@hono/zod-openapi";
import { type App, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { personAccess } from "../lib/people.ts";
import { callerOf } from "../lib/request.ts";
import { tenantSchema, updateTenantBody } from "./schemas.ts";
import { setMfaRequired } from "./tenant.ts";

const route = createRoute({
  method: "patch",
  path: "/v1/tenant",
  operationId: "updateTenant",
  tags: ["Tenant"],
  summary:
    "Change the tenant's security settings: `mfaRequired` refuses members without two-factor authentication everything but their own account",
  ...personAccess("owner"),
  request: {
    body: { content: { "application/json": { schema: updateTenantBody } }, required: true },
  },
  responses: {
    200: { description: "The tenant", content: { "application/json": { schema: tenantSchema } } },
    ...problemResponses(400, 401, 403, 404, 415, 422, 429),
  },
});

export function registerUpdateTenant(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const { mfaRequired } = c.req.valid("json");
    const tenant = await deps.sql.begin((tx) => setMfaRequired(tx, caller, mfaRequired));
    deps.mfaPolicy.forget({ tenantId: caller.principal.tenantId });
    return c.json(tenant, 200);
  });
}
