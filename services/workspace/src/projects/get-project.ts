import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses, responseHeaders } from "@oryn/shared";
import type { WorkspaceDeps } from "../deps.ts";
import { etagOf } from "../lib/etag.ts";
import { assertId } from "../lib/ids.ts";
import { getProject } from "./projects.ts";
import { projectIdParams, projectSchema } from "./schemas.ts";

const route = createRoute({
  method: "get",
  operationId: "getProject",
  path: "/v1/projects/{id}",
  tags: ["Projects"],
  summary: "Get a project",
  ...access("member"),
  request: { params: projectIdParams },
  responses: {
    200: {
      description: "The project",
      headers: responseHeaders.etag,
      content: { "application/json": { schema: projectSchema } },
    },
    ...problemResponses(401, 404, 409, 429, 503),
  },
});

export function registerGetProject(app: App, deps: WorkspaceDeps): void {
  app.openapi(route, async (c) => {
    const id = assertId(c.req.valid("param").id);
    const project = await deps.pools.run(principalOf(c).tenantId, (sql) => getProject(sql, id));
    c.header("etag", etagOf(project.version));
    return c.json(project, 200);
  });
}
