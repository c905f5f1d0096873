import { createRoute } from "@hono/zod-openapi";
import {
  type App,
  access,
  createdAtCursor,
  pageQuery,
  principalOf,
  problemResponses,
} from "@oryn/shared";
import type { WorkspaceDeps } from "../deps.ts";
import { listProjects } from "./projects.ts";
import { projectListSchema } from "./schemas.ts";

const route = createRoute({
  method: "get",
  operationId: "listProjects",
  path: "/v1/projects",
  tags: ["Projects"],
  summary: "List projects, oldest first",
  ...access("member"),
  request: { query: pageQuery },
  responses: {
    200: {
      description: "A page of projects",
      content: { "application/json": { schema: projectListSchema } },
    },
    ...problemResponses(401, 409, 422, 429, 503),
  },
});

export function registerListProjects(app: App, deps: WorkspaceDeps): void {
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = createdAtCursor.decode(cursor);
    const page = await deps.pools.run(principalOf(c).tenantId, (sql) =>
      listProjects(sql, { limit, after }),
    );
    return c.json(page, 200);
  });
}
