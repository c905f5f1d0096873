import { createRoute } from "@hono/zod-openapi";
import { type App, access, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { callerOf } from "../lib/request.ts";
import { idParams } from "../lib/schemas.ts";
import { deleteConnection } from "./connections.ts";

const route = createRoute({
  method: "delete",
  operationId: "deleteSsoConnection",
  path: "/v1/sso/connections/{id}",
  tags: ["Enterprise sign-in"],
  summary: "Remove a connection; sign-ins under way through it fail",
  ...access("owner"),
  request: { params: idParams },
  responses: { 204: { description: "Deleted" }, ...problemResponses(401, 403, 404, 422, 429) },
});

export function registerDeleteConnection(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    await deps.sql.begin((tx) => deleteConnection(tx, caller, c.req.valid("param").id));
    return c.body(null, 204);
  });
}
