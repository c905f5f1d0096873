import { createRoute } from "@hono/zod-openapi";
import { type App, access, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { callerOf } from "../lib/request.ts";
import { idParams } from "../lib/schemas.ts";
import { updateConnection } from "./connections.ts";
import { connectionSchema, updateConnectionBody } from "./schemas.ts";

const route = createRoute({
  method: "patch",
  operationId: "updateSsoConnection",
  path: "/v1/sso/connections/{id}",
  tags: ["Enterprise sign-in"],
  summary: "Enable or disable a connection, change its default role, require SSO (`enforce`)",
  ...access("owner"),
  request: {
    params: idParams,
    body: { content: { "application/json": { schema: updateConnectionBody } }, required: true },
  },
  responses: {
    200: {
      description: "The changed connection",
      content: { "application/json": { schema: connectionSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 409, 415, 422, 429),
  },
});

export function registerUpdateConnection(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const connection = await deps.sql.begin((tx) =>
      updateConnection(tx, caller, c.req.valid("param").id, c.req.valid("json"), deps.sso),
    );
    return c.json(connection, 200);
  });
}
