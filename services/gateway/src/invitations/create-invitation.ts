import { createRoute } from "@hono/zod-openapi";
import { type App, access, problemResponses } from "@oryn/shared";
import { assertTenantWritable } from "../access/restricted-tenants.ts";
import { sendAfterCommit } from "../accounts/account-mail.ts";
import { assertEmailVerified } from "../accounts/verification.ts";
import type { GatewayDeps } from "../deps.ts";
import { callerOf } from "../lib/request.ts";
import { createInvitation } from "./invitations.ts";
import { createInvitationBody, invitationSchema } from "./schemas.ts";

const route = createRoute({
  method: "post",
  path: "/v1/invitations",
  tags: ["Invitations"],
  summary: "Invite someone by email, with a role no higher than your own",
  description:
    "The single-use token goes to the invitee by email only, never to the inviter. Needs a verified email address (403 `email_unverified`).",
  ...access("admin"),
  request: {
    body: { content: { "application/json": { schema: createInvitationBody } }, required: true },
  },
  responses: {
    201: {
      description: "The invitation; its token is on its way to the invitee",
      content: { "application/json": { schema: invitationSchema } },
    },
    ...problemResponses(400, 401, 402, 403, 409, 415, 422, 429),
  },
});

export function registerCreateInvitation(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const input = c.req.valid("json");
    await assertEmailVerified(deps.sql, caller.principal);
    await assertTenantWritable(deps.sql, caller.principal.tenantId);
    const { invitation, mail } = await deps.sql.begin((tx) =>
      createInvitation(tx, caller, input, { ttlSeconds: deps.config.INVITATION_TTL_SECONDS }),
    );
    await sendAfterCommit({ queues: deps.queues, logger: c.get("logger") }, [mail]);
    c.header("location", `/v1/invitations/${invitation.id}`);
    return c.json(invitation, 201);
  });
}
