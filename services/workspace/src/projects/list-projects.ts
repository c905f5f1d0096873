import { type App, createdAtCursor, registerListRoute } from "@oryn/shared";
import type { WorkspaceDeps } from "../deps.ts";
import { listProjects } from "./projects.ts";
import { projectListSchema } from "./schemas.ts";

export function registerListProjects(app: App, deps: WorkspaceDeps): void {
  registerListRoute(
    app,
    {
      operationId: "listProjects",
      path: "/v1/projects",
      tags: ["Projects"],
      summary: "List projects, oldest first",
      minimum: "member",
      page: { description: "A page of projects", schema: projectListSchema },
      problems: [401, 409, 422, 429, 503],
    },
    createdAtCursor,
    (tenantId, page) => deps.pools.run(tenantId, (sql) => listProjects(sql, page)),
  );
}
