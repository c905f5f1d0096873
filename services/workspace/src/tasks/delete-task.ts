import { createRoute, z } from "@hono/zod-openapi";
import { type App, access, problemResponses } from "@oryn/shared";
import type { WorkspaceDeps } from "../deps.ts";
import { recordTenantEvent } from "../events/outbox.ts";
import { acceptedVersions } from "../lib/etag.ts";
import { assertId } from "../lib/ids.ts";
import { writeForCaller } from "../lib/write-as.ts";
import { taskParams } from "./schemas.ts";
import { deleteTask, lockTask } from "./tasks.ts";

const route = createRoute({
  method: "delete",
  operationId: "deleteTask",
  path: "/v1/projects/{id}/tasks/{taskId}",
  tags: ["Tasks"],
  summary: "Delete a task",
  ...access("member"),
  request: { params: taskParams, headers: z.object({ "if-match": z.string().optional() }) },
  responses: {
    204: { description: "Deleted" },
    ...problemResponses(401, 403, 404, 409, 412, 429, 503),
  },
});

export function registerDeleteTask(app: App, deps: WorkspaceDeps): void {
  app.openapi(route, async (c) => {
    const params = c.req.valid("param");
    const ids = { projectId: assertId(params.id), taskId: assertId(params.taskId) };
    const versions = acceptedVersions(c.req.valid("header")["if-match"]);
    await writeForCaller(c, deps, async (tx) => {
      const before = await lockTask(tx, ids);
      await deleteTask(tx, ids, versions);
      if (before) await recordTenantEvent(tx, "task.deleted", before);
    });
    return c.body(null, 204);
  });
}
