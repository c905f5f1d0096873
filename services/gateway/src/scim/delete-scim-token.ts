import { createRoute } from "@hono/zod-openapi";
import { type App, access, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { callerOf } from "../lib/request.ts";
import { idParams } from "../lib/schemas.ts";
import { deleteScimToken } from "./tokens.ts";

const route = createRoute({
  method: "delete",
  operationId: "deleteScimToken",
  path: "/v1/scim/tokens/{id}",
  tags: ["Enterprise sign-in"],
  summary: "Delete a SCIM token; it stops working at once",
  ...access("owner"),
  request: { params: idParams },
  responses: { 204: { description: "Deleted" }, ...problemResponses(401, 403, 404, 429) },
});

export function registerDeleteScimToken(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const { id } = c.req.valid("param");
    await deps.sql.begin((tx) => deleteScimToken(tx, caller, id));
    return c.body(null, 204);
  });
}
