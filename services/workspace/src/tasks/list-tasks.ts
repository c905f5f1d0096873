import { createRoute } from "@hono/zod-openapi";
import { type App, access, createdAtCursor, principalOf, problemResponses } from "@oryn/shared";
import type { WorkspaceDeps } from "../deps.ts";
import { assertId } from "../lib/ids.ts";
import { listTasksQuery, projectParams, taskListSchema } from "./schemas.ts";
import { listTasks } from "./tasks.ts";

const route = createRoute({
  method: "get",
  operationId: "listTasks",
  path: "/v1/projects/{id}/tasks",
  tags: ["Tasks"],
  summary: "List a project's tasks, oldest first, optionally by status or assignee",
  ...access("member"),
  request: { params: projectParams, query: listTasksQuery },
  responses: {
    200: {
      description: "A page of tasks",
      content: { "application/json": { schema: taskListSchema } },
    },
    ...problemResponses(401, 404, 409, 422, 429, 503),
  },
});

export function registerListTasks(app: App, deps: WorkspaceDeps): void {
  app.openapi(route, async (c) => {
    const projectId = assertId(c.req.valid("param").id);
    const { limit, cursor, status, assigneeId } = c.req.valid("query");
    const after = createdAtCursor.decode(cursor);
    const page = await deps.pools.run(principalOf(c).tenantId, (sql) =>
      listTasks(sql, projectId, { status, assigneeId }, { limit, after }),
    );
    return c.json(page, 200);
  });
}
