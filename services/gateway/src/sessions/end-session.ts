import { createRoute } from "@hono/zod-openapi";
import { type App, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { personAccess } from "../lib/people.ts";
import { callerOf } from "../lib/request.ts";
import { idParams } from "../lib/schemas.ts";
import { endSession } from "./sessions.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/me/sessions/{id}",
  operationId: "endSession",
  tags: ["Me"],
  summary:
    "End one of your sessions: its refresh token stops at once, its access tokens within seconds",
  ...personAccess("member"),
  request: { params: idParams },
  responses: { 204: { description: "Ended" }, ...problemResponses(401, 403, 404, 429) },
});

export function registerEndSession(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const { id } = c.req.valid("param");
    await deps.sql.begin((tx) => endSession(tx, caller, id));
    // This process refuses the session's access tokens from now on, the others within a poll.
    await deps.revocations.refresh().catch(() => undefined);
    return c.body(null, 204);
  });
}
