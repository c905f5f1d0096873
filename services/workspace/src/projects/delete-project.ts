import { createRoute, z } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import type { WorkspaceDeps } from "../deps.ts";
import { acceptedVersions } from "../lib/etag.ts";
import { actorOf } from "../lib/request.ts";
import { writeAs } from "../lib/write-as.ts";
import { assertProjectId, deleteProject } from "./projects.ts";
import { projectIdParams } from "./schemas.ts";

const route = createRoute({
  method: "delete",
  operationId: "deleteProject",
  path: "/v1/projects/{id}",
  tags: ["Projects"],
  summary: "Delete a project",
  ...access("member"),
  request: { params: projectIdParams, headers: z.object({ "if-match": z.string().optional() }) },
  responses: {
    204: { description: "Deleted" },
    ...problemResponses(401, 403, 404, 409, 412, 429, 503),
  },
});

export function registerDeleteProject(app: App, deps: WorkspaceDeps): void {
  app.openapi(route, async (c) => {
    const principal = principalOf(c);
    const id = assertProjectId(c.req.valid("param").id);
    const versions = acceptedVersions(c.req.valid("header")["if-match"]);
    await deps.pools.run(principal.tenantId, (sql) =>
      writeAs(sql, actorOf(c), (tx) => deleteProject(tx, id, versions)),
    );
    return c.body(null, 204);
  });
}
