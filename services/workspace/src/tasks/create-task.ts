import { createRoute, z } from "@hono/zod-openapi";
import {
  type App,
  access,
  idempotencyKeyHeader,
  principalOf,
  problemResponses,
  responseHeaders,
} from "@oryn/shared";
import type { WorkspaceDeps } from "../deps.ts";
import { createOnce } from "../lib/create.ts";
import { assertId } from "../lib/ids.ts";
import { assertMember } from "../tenants/memberships.ts";
import { createTaskBody, projectParams, taskSchema } from "./schemas.ts";
import { createTask } from "./tasks.ts";

const route = createRoute({
  method: "post",
  operationId: "createTask",
  path: "/v1/projects/{id}/tasks",
  tags: ["Tasks"],
  summary: "Create a task in a project",
  ...access("member"),
  request: {
    params: projectParams,
    headers: z.object({ "idempotency-key": idempotencyKeyHeader }),
    body: { content: { "application/json": { schema: createTaskBody } }, required: true },
  },
  responses: {
    201: {
      description: "Created (or, with a repeated Idempotency-Key, the stored answer)",
      headers: {
        ...responseHeaders.location(
          "/v1/projects/0b7c2c6e-3f5e-4a63-9d57-6e2a1f4b8c10/tasks/5d1e8a52-7a8c-4f0e-8e61-2b9f3c7d4a21",
        ),
        ...responseHeaders.etag,
        ...responseHeaders.idempotentReplayed,
      },
      content: { "application/json": { schema: taskSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
  },
});

export function registerCreateTask(app: App, deps: WorkspaceDeps): void {
  app.openapi(route, async (c) => {
    const { tenantId } = principalOf(c);
    const projectId = assertId(c.req.valid("param").id);
    const input = c.req.valid("json");
    await assertMember(deps.controlPlane, tenantId, input.assigneeId);
    const task = await createOnce(c, deps, (tx) => createTask(tx, projectId, input), {
      key: c.req.valid("header")["idempotency-key"],
      body: input,
      event: "task.created",
      location: (created) => `/v1/projects/${projectId}/tasks/${created.id}`,
    });
    return c.json(task, 201);
  });
}
