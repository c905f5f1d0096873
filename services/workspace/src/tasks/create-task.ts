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
import { recordTenantEvent } from "../events/outbox.ts";
import { once } from "../idempotency/idempotency.ts";
import { etagOf } from "../lib/etag.ts";
import { idempotencyOf, setAnswerHeaders } from "../lib/request.ts";
import { writeForCaller } from "../lib/write-as.ts";
import { assertMember } from "../tenants/memberships.ts";
import { createTaskBody, projectParams, taskSchema } from "./schemas.ts";
import { assertId, createTask } from "./tasks.ts";

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
    const idempotency = idempotencyOf(c, c.req.valid("header")["idempotency-key"], input);
    await assertMember(deps.controlPlane, tenantId, input.assigneeId);
    const answer = await writeForCaller(c, deps, (tx) =>
      once(tx, idempotency, async () => {
        const task = await createTask(tx, projectId, input);
        await recordTenantEvent(tx, "task.created", task);
        return {
          status: 201,
          body: task,
          headers: {
            location: `/v1/projects/${projectId}/tasks/${task.id}`,
            etag: etagOf(task.version),
          },
        };
      }),
    );
    setAnswerHeaders(c, answer);
    return c.json(answer.body, 201);
  });
}
