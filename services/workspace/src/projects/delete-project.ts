import { createRoute, z } from "@hono/zod-openapi";
import { type App, access, problemResponses } from "@oryn/shared";
import type { WorkspaceDeps } from "../deps.ts";
import { recordTenantEvent } from "../events/outbox.ts";
import { acceptedVersions } from "../lib/etag.ts";
import { assertId } from "../lib/ids.ts";
import { writeForCaller } from "../lib/write-as.ts";
import { deleteProject, lockProject } from "./projects.ts";
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
    const id = assertId(c.req.valid("param").id);
    const versions = acceptedVersions(c.req.valid("header")["if-match"]);
    await writeForCaller(c, deps, async (tx) => {
      const before = await lockProject(tx, id);
      await deleteProject(tx, id, versions);
      // Its tasks go with it, each without an event of its own: this one says so.
      if (before) await recordTenantEvent(tx, "project.deleted", before);
    });
    return c.body(null, 204);
  });
}
