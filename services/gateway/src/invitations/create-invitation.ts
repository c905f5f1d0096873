import { createRoute } from "@hono/zod-openapi";
import { type App, access, problemResponses, responseHeaders } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { callerOf } from "../lib/request.ts";
import { createInvitation } from "./invitations.ts";
import { createdInvitationSchema, createInvitationBody } from "./schemas.ts";

const route = createRoute({
  method: "post",
  operationId: "createInvitation",
  path: "/v1/invitations",
  tags: ["Invitations"],
  summary: "Invite someone by email, with a role no higher than your own",
  ...access("admin"),
  request: {
    body: { content: { "application/json": { schema: createInvitationBody } }, required: true },
  },
  responses: {
    201: {
      description: "The invitation, with its single-use token",
      headers: responseHeaders.location("/v1/invitations/0b7c2c6e-3f5e-4a63-9d57-6e2a1f4b8c10"),
      content: { "application/json": { schema: createdInvitationSchema } },
    },
    ...problemResponses(400, 401, 402, 403, 409, 415, 422, 429),
  },
});

export function registerCreateInvitation(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const caller = callerOf(c, deps);
    const input = c.req.valid("json");
    const invitation = await deps.sql.begin((tx) =>
      createInvitation(tx, caller, input, { ttlSeconds: deps.config.INVITATION_TTL_SECONDS }),
    );
    c.header("location", `/v1/invitations/${invitation.id}`);
    return c.json(invitation, 201);
  });
}
