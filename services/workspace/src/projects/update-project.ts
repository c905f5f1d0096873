import { createRoute, z } from "@hono/zod-openapi";
import { type App, access, problemResponses, responseHeaders } from "@oryn/shared";
import type { WorkspaceDeps } from "../deps.ts";
import { changedFields, recordTenantEvent } from "../events/outbox.ts";
import { acceptedVersions, etagOf } from "../lib/etag.ts";
import { assertId } from "../lib/ids.ts";
import { writeForCaller } from "../lib/write-as.ts";
import { lockProject, updateProject } from "./projects.ts";
import { projectIdParams, projectSchema, updateProjectBody } from "./schemas.ts";

const route = createRoute({
  method: "patch",
  operationId: "updateProject",
  path: "/v1/projects/{id}",
  tags: ["Projects"],
  summary: "Change a project; send If-Match with its ETag to refuse lost updates",
  ...access("member"),
  request: {
    params: projectIdParams,
    headers: z.object({ "if-match": z.string().optional() }),
    body: { content: { "application/json": { schema: updateProjectBody } }, required: true },
  },
  responses: {
    200: {
      description: "The changed project",
      headers: responseHeaders.etag,
      content: { "application/json": { schema: projectSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 503),
  },
});

export function registerUpdateProject(app: App, deps: WorkspaceDeps): void {
  app.openapi(route, async (c) => {
    const id = assertId(c.req.valid("param").id);
    const input = c.req.valid("json");
    const versions = acceptedVersions(c.req.valid("header")["if-match"]);
    const project = await writeForCaller(c, deps, async (tx) => {
      const before = await lockProject(tx, id);
      const after = await updateProject(tx, id, input, versions);
      if (before)
        await recordTenantEvent(tx, "project.updated", after, changedFields(before, after));
      return after;
    });
    c.header("etag", etagOf(project.version));
    return c.json(project, 200);
  });
}
