import { createRoute, z } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses, responseHeaders } from "@oryn/shared";
import type { WorkspaceDeps } from "../deps.ts";
import { changedFields, recordTenantEvent } from "../events/outbox.ts";
import { acceptedVersions, etagOf } from "../lib/etag.ts";
import { assertId } from "../lib/ids.ts";
import { writeForCaller } from "../lib/write-as.ts";
import { assertMember } from "../tenants/memberships.ts";
import { taskParams, taskSchema, updateTaskBody } from "./schemas.ts";
import { lockTask, updateTask } from "./tasks.ts";

const route = createRoute({
  method: "patch",
  operationId: "updateTask",
  path: "/v1/projects/{id}/tasks/{taskId}",
  tags: ["Tasks"],
  summary: "Change a task; send If-Match with its ETag to refuse lost updates",
  ...access("member"),
  request: {
    params: taskParams,
    headers: z.object({ "if-match": z.string().optional() }),
    body: { content: { "application/json": { schema: updateTaskBody } }, required: true },
  },
  responses: {
    200: {
      description: "The changed task",
      headers: responseHeaders.etag,
      content: { "application/json": { schema: taskSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 503),
  },
});

export function registerUpdateTask(app: App, deps: WorkspaceDeps): void {
  app.openapi(route, async (c) => {
    const { tenantId } = principalOf(c);
    const params = c.req.valid("param");
    const ids = { projectId: assertId(params.id), taskId: assertId(params.taskId) };
    const input = c.req.valid("json");
    const versions = acceptedVersions(c.req.valid("header")["if-match"]);
    await assertMember(deps.controlPlane, tenantId, input.assigneeId);
    const task = await writeForCaller(c, deps, async (tx) => {
      const before = await lockTask(tx, ids);
      const after = await updateTask(tx, ids, input, versions);
      if (before) await recordTenantEvent(tx, "task.updated", after, changedFields(before, after));
      return after;
    });
    c.header("etag", etagOf(task.version));
    return c.json(task, 200);
  });
}
