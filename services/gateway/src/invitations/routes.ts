import { createRoute, z } from "@hono/zod-openapi";
import {
  ApiError,
  type App,
  access,
  principalOf,
  problemResponses,
  publicAccess,
  roleAtLeast,
  roles,
  text,
} from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { decodeIdCursor, listOf, page, pageQuery } from "../lib/pages.ts";
import { emailSchema, passwordSchema } from "../signup/schemas.ts";
import { tokensSchema } from "../tokens/issue-tokens.ts";
import {
  acceptInvitation,
  createInvitation,
  type Invitation,
  listPendingInvitations,
  revokeInvitation,
} from "./invitations.ts";

const invitationSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    role: z.enum(roles),
    invitedBy: z.uuid(),
    expiresAt: z.string(),
    createdAt: z.string(),
  })
  .openapi("Invitation");
const createdInvitationSchema = invitationSchema
  .extend({ token: z.string().openapi({ description: "Shown once; send it to the invitee" }) })
  .openapi("CreatedInvitation");

const createBody = z
  .object({ email: emailSchema, role: z.enum(roles).openapi({ example: "member" }) })
  .openapi("InvitationRequest");
const acceptBody = z
  .object({
    token: z.string().min(1).max(200),
    name: text({ min: 1, max: 200 }).optional().openapi({
      description: "Required when the invited email has no account yet",
      example: "Grace",
    }),
    password: passwordSchema.openapi({
      description: "The new account's password, or the existing account's own",
    }),
  })
  .openapi("InvitationAcceptance");
const idParam = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });

const json = <T>(schema: T) => ({ content: { "application/json": { schema } }, required: true });

const createInvitationRoute = createRoute({
  method: "post",
  path: "/v1/invitations",
  tags: ["Invitations"],
  summary: "Invite someone by email, with a role no higher than your own",
  ...access("admin"),
  request: { body: json(createBody) },
  responses: {
    201: {
      description: "The invitation, with its single-use token",
      content: { "application/json": { schema: createdInvitationSchema } },
    },
    ...problemResponses(400, 401, 402, 403, 409, 415, 422, 429),
  },
});

const listInvitationsRoute = createRoute({
  method: "get",
  path: "/v1/invitations",
  tags: ["Invitations"],
  summary: "Invitations not yet accepted, revoked or expired",
  ...access("admin"),
  request: { query: pageQuery },
  responses: {
    200: {
      description: "A page of invitations",
      content: { "application/json": { schema: listOf(invitationSchema) } },
    },
    ...problemResponses(401, 403, 422, 429),
  },
});

const revokeInvitationRoute = createRoute({
  method: "delete",
  path: "/v1/invitations/{id}",
  tags: ["Invitations"],
  summary: "Revoke a pending invitation",
  ...access("admin"),
  request: { params: idParam },
  responses: { 204: { description: "Revoked" }, ...problemResponses(401, 403, 404, 429) },
});

const acceptRoute = createRoute({
  method: "post",
  path: "/v1/invitations/accept",
  tags: ["Invitations"],
  summary: "Accept an invitation: creates the account, or joins an existing one with its password",
  ...publicAccess("anyone"),
  request: { body: json(acceptBody) },
  responses: {
    200: {
      description: "Tokens for the new membership",
      content: { "application/json": { schema: tokensSchema } },
    },
    ...problemResponses(400, 401, 402, 409, 415, 422, 429),
  },
});

const toItem = (invitation: Invitation) => ({
  ...invitation,
  expiresAt: invitation.expiresAt.toISOString(),
  createdAt: invitation.createdAt.toISOString(),
});

export function registerInvitations(app: App, deps: GatewayDeps): void {
  app.openapi(createInvitationRoute, async (c) => {
    const actor = principalOf(c);
    const { email, role } = c.req.valid("json");
    if (!roleAtLeast(actor.role, role)) {
      throw new ApiError("forbidden", { detail: "An invitation cannot grant a role above yours" });
    }
    const { invitation, token } = await createInvitation(
      deps.sql,
      { requestId: c.get("requestId"), ip: deps.clientIp(c) },
      {
        tenantId: actor.tenantId,
        email,
        role,
        invitedBy: actor.userId,
        ttlSeconds: deps.config.INVITATION_TTL_SECONDS,
      },
    );
    c.header("location", `/v1/invitations/${invitation.id}`);
    return c.json({ ...toItem(invitation), token }, 201);
  });

  app.openapi(listInvitationsRoute, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listPendingInvitations(deps.sql, principalOf(c).tenantId, {
      limit,
      after: decodeIdCursor(cursor),
    });
    return c.json(
      page(rows, limit, (row) => row.id, toItem),
      200,
    );
  });

  app.openapi(revokeInvitationRoute, async (c) => {
    const actor = principalOf(c);
    const revoked = await revokeInvitation(
      deps.sql,
      { requestId: c.get("requestId"), ip: deps.clientIp(c) },
      {
        tenantId: actor.tenantId,
        id: c.req.valid("param").id,
        actorId: actor.userId,
        actorRole: actor.role,
      },
    );
    if (!revoked) throw new ApiError("not_found");
    return c.body(null, 204);
  });

  app.openapi(acceptRoute, async (c) => {
    const tokens = await acceptInvitation({
      sql: deps.sql,
      tokens: deps.tokens,
      limiter: deps.loginLimiter,
      context: { requestId: c.get("requestId"), ip: deps.clientIp(c) },
      input: c.req.valid("json"),
    });
    return c.json(tokens, 200);
  });
}
