import { createRoute } from "@hono/zod-openapi";
import { type App, access, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { callerOf } from "../lib/request.ts";
import { idParams } from "../lib/schemas.ts";
import { revokeInvitation } from "./invitations.ts";

const route = createRoute({
  method: "delete",
  operationId: "revokeInvitation",
  path: "/v1/invitations/{id}",
  tags: ["Invitations"],
  summary: "Revoke a pending invitation",
  ...access("admin"),
  request: { params: idParams },
  responses: { 204: { description: "Revoked" }, ...problemResponses(401, 403, 404, 429) },
});

export function registerRevokeInvitation(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const { id } = c.req.valid("param");
    await deps.sql.begin((tx) => revokeInvitation(tx, caller, id));
    return c.body(null, 204);
  });
}
