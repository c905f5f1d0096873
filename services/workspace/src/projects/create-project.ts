import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import type { WorkspaceDeps } from "../deps.ts";
import { etagOf } from "../lib/etag.ts";
import { createProject } from "./projects.ts";
import { createProjectBody, projectSchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/projects",
  tags: ["Projects"],
  summary: "Create a project",
  ...access("member"),
  request: {
    body: { content: { "application/json": { schema: createProjectBody } }, required: true },
  },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: projectSchema } } },
    ...problemResponses(400, 401, 403, 409, 413, 415, 422, 429, 503),
  },
});

export function registerCreateProject(app: App, deps: WorkspaceDeps): void {
  app.openapi(route, async (c) => {
    const principal = principalOf(c);
    const project = await createProject(
      deps.pools.get(principal.tenantId),
      { userId: principal.userId, requestId: c.get("requestId") },
      c.req.valid("json"),
    );
    c.header("location", `/v1/projects/${project.id}`);
    c.header("etag", etagOf(project.version));
    return c.json(project, 201);
  });
}
