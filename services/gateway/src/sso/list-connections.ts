import { createRoute } from "@hono/zod-openapi";
import {
  type App,
  access,
  createdAtCursor,
  pageQuery,
  principalOf,
  problemResponses,
} from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { listConnections } from "./connections.ts";
import { connectionListSchema } from "./schemas.ts";

const route = createRoute({
  method: "get",
  operationId: "listSsoConnections",
  path: "/v1/sso/connections",
  tags: ["Enterprise sign-in"],
  summary: "The tenant's SSO connections, without their secrets",
  ...access("admin"),
  request: { query: pageQuery },
  responses: {
    200: {
      description: "A page of connections",
      content: { "application/json": { schema: connectionListSchema } },
    },
    ...problemResponses(401, 403, 422, 429),
  },
});

export function registerListConnections(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await listConnections(
      deps.sql,
      principalOf(c).tenantId,
      { limit, after: createdAtCursor.decode(cursor) },
      deps.sso,
    );
    return c.json(page, 200);
  });
}
