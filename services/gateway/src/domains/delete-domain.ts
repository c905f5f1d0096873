import { createRoute } from "@hono/zod-openapi";
import { type App, access, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { callerOf } from "../lib/request.ts";
import { idParams } from "../lib/schemas.ts";
import { deleteDomain } from "./domains.ts";

const route = createRoute({
  method: "delete",
  operationId: "deleteDomain",
  path: "/v1/domains/{id}",
  tags: ["Enterprise sign-in"],
  summary: "Give up a domain: its people no longer sign in by SSO, nor are held to it",
  ...access("owner"),
  request: { params: idParams },
  responses: { 204: { description: "Deleted" }, ...problemResponses(401, 403, 404, 422, 429) },
});

export function registerDeleteDomain(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    await deps.sql.begin((tx) => deleteDomain(tx, caller, c.req.valid("param").id));
    return c.body(null, 204);
  });
}
