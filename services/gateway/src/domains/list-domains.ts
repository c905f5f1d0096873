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
import { listDomains } from "./domains.ts";
import { domainListSchema } from "./schemas.ts";

const route = createRoute({
  method: "get",
  operationId: "listDomains",
  path: "/v1/domains",
  tags: ["Enterprise sign-in"],
  summary: "The tenant's claimed and verified domains",
  ...access("admin"),
  request: { query: pageQuery },
  responses: {
    200: {
      description: "A page of domains",
      content: { "application/json": { schema: domainListSchema } },
    },
    ...problemResponses(401, 403, 422, 429),
  },
});

export function registerListDomains(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await listDomains(deps.sql, principalOf(c).tenantId, {
      limit,
      after: createdAtCursor.decode(cursor),
    });
    return c.json(page, 200);
  });
}
