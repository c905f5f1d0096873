import { createRoute } from "@hono/zod-openapi";
import {
  ApiError,
  type App,
  beginRetryingDeadlocks,
  type Principal,
  problemResponses,
  type TransactionSql,
} from "@oryn/shared";
import { type AuditContext, recordAuditEvent } from "../audit/audit-events.ts";
import type { GatewayDeps } from "../deps.ts";
import { personAccess } from "../lib/people.ts";
import { callerOf } from "../lib/request.ts";
import { idParams } from "../lib/schemas.ts";
import { revokeRefreshTokensOfFamily } from "../tokens/refresh-tokens.ts";
import { lockLiveSessionOfUser, markSessionsEnded } from "./sessions.ts";

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
    await beginRetryingDeadlocks(deps.sql, (tx) => endSession(tx, caller, id));
    // This process refuses the session's access tokens from now on, the others within a poll.
    await deps.revocations.refresh().catch(() => undefined);
    return c.body(null, 204);
  });
}

/**
 * Ends one of the caller's sessions (another person's, or an unknown id, is 404): its refresh
 * tokens are revoked at once, its access tokens within a revocation poll.
 */
async function endSession(
  tx: TransactionSql,
  caller: AuditContext & { principal: Principal },
  id: string,
): Promise<void> {
  const { principal } = caller;
  const session = await lockLiveSessionOfUser(tx, id, principal.userId);
  if (!session) throw new ApiError("not_found");
  await markSessionsEnded(tx, { id });
  await revokeRefreshTokensOfFamily(tx, id);
  await recordAuditEvent(tx, caller, {
    tenantId: session.tenantId,
    actorId: principal.userId,
    action: "session_ended",
    entity: "session",
    entityId: id,
    data: { current: id === principal.sessionId },
  });
}
