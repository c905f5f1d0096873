import { createRoute } from "@hono/zod-openapi";
import { type App, access, beginRetryingDeadlocks, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { callerOf } from "../lib/request.ts";
import { removeMember } from "./members.ts";
import { memberParams } from "./schemas.ts";

const route = createRoute({
  method: "delete",
  operationId: "removeMember",
  path: "/v1/members/{userId}",
  tags: ["Members"],
  summary: "Remove a member: their sessions end at once, their access tokens within seconds",
  ...access("admin"),
  request: { params: memberParams },
  responses: { 204: { description: "Removed" }, ...problemResponses(401, 403, 404, 409, 429) },
});

export function registerRemoveMember(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const { userId } = c.req.valid("param");
    await beginRetryingDeadlocks(deps.sql, (tx) => removeMember(tx, caller, userId));
    // This process stops honouring the removed member's tokens now; others within a poll.
    await deps.revocations.refresh().catch(() => undefined);
    return c.body(null, 204);
  });
}
