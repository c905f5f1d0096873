import { createRoute } from "@hono/zod-openapi";
import { type App, access, idCursor, pageQuery, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { listMembers } from "./members.ts";
import { memberListSchema } from "./schemas.ts";

const route = createRoute({
  method: "get",
  operationId: "listMembers",
  path: "/v1/members",
  tags: ["Members"],
  summary: "The tenant's members",
  ...access("member"),
  request: { query: pageQuery },
  responses: {
    200: {
      description: "A page of members",
      content: { "application/json": { schema: memberListSchema } },
    },
    ...problemResponses(401, 422, 429),
  },
});

export function registerListMembers(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await listMembers(deps.sql, principalOf(c).tenantId, {
      limit,
      after: idCursor.decode(cursor),
    });
    return c.json(page, 200);
  });
}
