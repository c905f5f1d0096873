import { createRoute } from "@hono/zod-openapi";
import { type App, access, problemResponses, responseHeaders } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { callerOf } from "../lib/request.ts";
import { createApiKey } from "./api-keys.ts";
import { createApiKeyBody, createdApiKeySchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  operationId: "createApiKey",
  path: "/v1/api-keys",
  tags: ["API keys"],
  summary: "Create an API key, with a role no higher than your own; the key is shown once",
  ...access("admin"),
  request: {
    body: { content: { "application/json": { schema: createApiKeyBody } }, required: true },
  },
  responses: {
    201: {
      description: "The key",
      headers: responseHeaders.location("/v1/api-keys/0b7c2c6e-3f5e-4a63-9d57-6e2a1f4b8c10"),
      content: { "application/json": { schema: createdApiKeySchema } },
    },
    ...problemResponses(400, 401, 403, 415, 422, 429),
  },
});

export function registerCreateApiKey(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const input = c.req.valid("json");
    const created = await deps.sql.begin((tx) => createApiKey(tx, caller, input));
    c.header("location", `/v1/api-keys/${created.id}`);
    return c.json(created, 201);
  });
}
