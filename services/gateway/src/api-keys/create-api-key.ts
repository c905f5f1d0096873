import { createRoute } from "@hono/zod-openapi";
import { type App, access, problemResponses } from "@oryn/shared";
import { assertTenantWritable } from "../access/restricted-tenants.ts";
import { assertEmailVerified } from "../accounts/verification.ts";
import type { GatewayDeps } from "../deps.ts";
import { callerOf } from "../lib/request.ts";
import { createApiKey } from "./api-keys.ts";
import { createApiKeyBody, createdApiKeySchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
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
      content: { "application/json": { schema: createdApiKeySchema } },
    },
    ...problemResponses(400, 401, 403, 415, 422, 429),
  },
});

export function registerCreateApiKey(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const input = c.req.valid("json");
    await assertEmailVerified(deps.sql, caller.principal);
    await assertTenantWritable(deps.sql, caller.principal.tenantId);
    const created = await deps.sql.begin((tx) => createApiKey(tx, caller, input));
    c.header("location", `/v1/api-keys/${created.id}`);
    return c.json(created, 201);
  });
}
