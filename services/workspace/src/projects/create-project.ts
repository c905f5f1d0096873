import { createRoute, z } from "@hono/zod-openapi";
import {
  type App,
  access,
  idempotencyKeyHeader,
  limitsOf,
  principalOf,
  problemResponses,
  responseHeaders,
} from "@oryn/shared";
import type { WorkspaceDeps } from "../deps.ts";
import { createOnce } from "../lib/create.ts";
import { createProject } from "./projects.ts";
import { createProjectBody, projectSchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  operationId: "createProject",
  path: "/v1/projects",
  tags: ["Projects"],
  summary: "Create a project, within the plan's cap",
  ...access("member"),
  request: {
    headers: z.object({ "idempotency-key": idempotencyKeyHeader }),
    body: { content: { "application/json": { schema: createProjectBody } }, required: true },
  },
  responses: {
    201: {
      description: "Created (or, with a repeated Idempotency-Key, the stored answer)",
      headers: {
        ...responseHeaders.location("/v1/projects/0b7c2c6e-3f5e-4a63-9d57-6e2a1f4b8c10"),
        ...responseHeaders.etag,
        ...responseHeaders.idempotentReplayed,
      },
      content: { "application/json": { schema: projectSchema } },
    },
    ...problemResponses(400, 401, 402, 403, 409, 413, 415, 422, 429, 503),
  },
});

export function registerCreateProject(app: App, deps: WorkspaceDeps): void {
  app.openapi(route, async (c) => {
    const { tenantId } = principalOf(c);
    const input = c.req.valid("json");
    // Cached by the tenant gate a moment ago; a plan change reaches here within the cache's TTL.
    const plan = (await deps.tenants.get(tenantId))?.plan ?? "free";
    const project = await createOnce(
      c,
      deps,
      (tx) => createProject(tx, input, { plan, maxProjects: limitsOf(plan).projects }),
      {
        key: c.req.valid("header")["idempotency-key"],
        body: input,
        event: "project.created",
        location: (created) => `/v1/projects/${created.id}`,
      },
    );
    return c.json(project, 201);
  });
}
