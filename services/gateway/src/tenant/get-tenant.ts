import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { tenantSchema } from "./schemas.ts";
import { getTenant } from "./tenant.ts";

const route = createRoute({
  method: "get",
  operationId: "getTenant",
  path: "/v1/tenant",
  tags: ["Tenant"],
  summary: "The caller's tenant, with its provisioning progress",
  ...access("member"),
  responses: {
    200: { description: "The tenant", content: { "application/json": { schema: tenantSchema } } },
    ...problemResponses(401, 404, 429),
  },
});

export function registerGetTenant(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    return c.json(await getTenant(deps.sql, principalOf(c).tenantId), 200);
  });
}
