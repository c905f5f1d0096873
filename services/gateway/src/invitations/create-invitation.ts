import { type App, createdRoute, type MailRequest, onceForKey } from "@oryn/shared";
import { assertMayHandOutAccess } from "../access/restricted-tenants.ts";
import { sendAfterCommit } from "../accounts/account-mail.ts";
import type { GatewayDeps } from "../deps.ts";
import { idempotencyOf, setAnswerHeaders } from "../lib/idempotency.ts";
import { callerOf } from "../lib/request.ts";
import { createInvitation } from "./invitations.ts";
import { createInvitationBody, type Invitation, invitationSchema } from "./schemas.ts";

const route = createdRoute({
  operationId: "createInvitation",
  path: "/v1/invitations",
  tags: ["Invitations"],
  summary: "Invite someone by email, with a role no higher than your own",
  description:
    "The single-use token goes to the invitee by email only, never to the inviter. Needs a verified email address (403 `email_unverified`).",
  minimum: "admin",
  body: createInvitationBody,
  created: {
    description: "The invitation; its token is on its way to the invitee",
    schema: invitationSchema,
  },
  problems: [400, 401, 402, 403, 409, 415, 422, 429],
});

export function registerCreateInvitation(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const input = c.req.valid("json");
    const idempotency = idempotencyOf(c, deps, c.req.valid("header")["idempotency-key"], input);
    await assertMayHandOutAccess(deps.sql, caller.principal);
    let mail: MailRequest[] = [];
    const answer = await deps.sql.begin((tx) =>
      onceForKey<Invitation>(tx, idempotency, async () => {
        const created = await createInvitation(tx, caller, input, {
          ttlSeconds: deps.config.INVITATION_TTL_SECONDS,
        });
        mail = [created.mail];
        const location = `/v1/invitations/${created.invitation.id}`;
        return { status: 201, body: created.invitation, headers: { location } };
      }),
    );
    // A replay sends nothing again: the first request's mail went.
    await sendAfterCommit({ queues: deps.queues, logger: c.get("logger") }, mail);
    setAnswerHeaders(c, answer);
    return c.json(answer.body, 201);
  });
}
