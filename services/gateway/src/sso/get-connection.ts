import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { idParams } from "../lib/schemas.ts";
import { loadConnection, toConnection } from "./connections.ts";
import { connectionSchema } from "./schemas.ts";

const route = createRoute({
  method: "get",
  operationId: "getSsoConnection",
  path: "/v1/sso/connections/{id}",
  tags: ["Enterprise sign-in"],
  summary: "One SSO connection, without its secrets",
  ...access("admin"),
  request: { params: idParams },
  responses: {
    200: {
      description: "The connection",
      content: { "application/json": { schema: connectionSchema } },
    },
    ...problemResponses(401, 403, 404, 422, 429),
  },
});

export function registerGetConnection(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const row = await loadConnection(deps.sql, principalOf(c).tenantId, c.req.valid("param").id);
    return c.json(toConnection(row, deps.sso), 200);
  });
}
