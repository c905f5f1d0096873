import { createRoute } from "@hono/zod-openapi";
import { type App, access, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { callerOf } from "../lib/request.ts";
import { idParams } from "../lib/schemas.ts";
import { deleteApiKey } from "./api-keys.ts";

const route = createRoute({
  method: "delete",
  operationId: "deleteApiKey",
  path: "/v1/api-keys/{id}",
  tags: ["API keys"],
  summary: "Delete an API key; it stops working at once",
  ...access("admin"),
  request: { params: idParams },
  responses: { 204: { description: "Deleted" }, ...problemResponses(401, 403, 404, 429) },
});

export function registerDeleteApiKey(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const { id } = c.req.valid("param");
    await deps.sql.begin((tx) => deleteApiKey(tx, caller, id));
    return c.body(null, 204);
  });
}
