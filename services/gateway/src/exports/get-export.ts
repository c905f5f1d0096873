import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { idParams } from "../lib/schemas.ts";
import { exportSchema } from "./schemas.ts";
import { getExport } from "./tenant-exports.ts";

const route = createRoute({
  method: "get",
  operationId: "getTenantExport",
  path: "/v1/tenant/exports/{id}",
  tags: ["Tenant"],
  summary: "An export's status",
  ...access("owner"),
  request: { params: idParams },
  responses: {
    200: { description: "The export", content: { "application/json": { schema: exportSchema } } },
    ...problemResponses(401, 403, 404, 422, 429),
  },
});

export function registerGetExport(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await getExport(deps.sql, principalOf(c).tenantId, id), 200);
  });
}
