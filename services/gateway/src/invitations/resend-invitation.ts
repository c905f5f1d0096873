import { createRoute } from "@hono/zod-openapi";
import { type App, access, problemResponses } from "@oryn/shared";
import { assertMayHandOutAccess } from "../access/restricted-tenants.ts";
import { sendAfterCommit } from "../accounts/account-mail.ts";
import type { GatewayDeps } from "../deps.ts";
import { callerOf } from "../lib/request.ts";
import { idParams } from "../lib/schemas.ts";
import { resendInvitation } from "./invitations.ts";

const route = createRoute({
  method: "post",
  path: "/v1/invitations/{id}/resend",
  operationId: "resendInvitation",
  tags: ["Invitations"],
  summary: "Mail a pending invitation again, with a new token (the earlier link stops working)",
  ...access("admin"),
  request: { params: idParams },
  responses: {
    202: { description: "The invitation is on its way again, valid for its full lifetime" },
    ...problemResponses(401, 403, 404, 429),
  },
});

export function registerResendInvitation(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const { id } = c.req.valid("param");
    await assertMayHandOutAccess(deps.sql, caller.principal);
    const mail = await deps.sql.begin((tx) =>
      resendInvitation(tx, caller, id, { ttlSeconds: deps.config.INVITATION_TTL_SECONDS }),
    );
    await sendAfterCommit({ queues: deps.queues, logger: c.get("logger") }, [mail]);
    return c.body(null, 202);
  });
}
