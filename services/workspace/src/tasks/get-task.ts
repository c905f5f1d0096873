import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses, responseHeaders } from "@oryn/shared";
import type { WorkspaceDeps } from "../deps.ts";
import { etagOf } from "../lib/etag.ts";
import { assertId } from "../lib/ids.ts";
import { taskParams, taskSchema } from "./schemas.ts";
import { getTask } from "./tasks.ts";

const route = createRoute({
  method: "get",
  operationId: "getTask",
  path: "/v1/projects/{id}/tasks/{taskId}",
  tags: ["Tasks"],
  summary: "Get a task",
  ...access("member"),
  request: { params: taskParams },
  responses: {
    200: {
      description: "The task",
      headers: responseHeaders.etag,
      content: { "application/json": { schema: taskSchema } },
    },
    ...problemResponses(401, 404, 409, 429, 503),
  },
});

export function registerGetTask(app: App, deps: WorkspaceDeps): void {
  app.openapi(route, async (c) => {
    const params = c.req.valid("param");
    const projectId = assertId(params.id);
    const taskId = assertId(params.taskId);
    const task = await deps.pools.run(principalOf(c).tenantId, (sql) =>
      getTask(sql, projectId, taskId),
    );
    c.header("etag", etagOf(task.version));
    return c.json(task, 200);
  });
}
