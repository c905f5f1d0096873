import { createRoute, z } from "@hono/zod-openapi";
import {
  ApiError,
  type App,
  type AppEnv,
  access,
  type Principal,
  principalOf,
  problemResponses,
  roles,
} from "@oryn/shared";
import type { Context } from "hono";
import { revokeAccess } from "../access/revocations.ts";
import { recordAuditEvent } from "../audit/audit-events.ts";
import type { GatewayDeps } from "../deps.ts";
import { decodeIdCursor, listOf, page, pageQuery } from "../lib/pages.ts";
import { revokeUserSessions } from "../tokens/refresh-tokens.ts";
import { assertOwnerRemains, listMembers, lockMemberships, type Member } from "./memberships.ts";

const memberSchema = z
  .object({
    userId: z.uuid(),
    email: z.string(),
    name: z.string(),
    role: z.enum(roles),
    createdAt: z.string(),
  })
  .openapi("Member");

const userIdParam = z.object({
  userId: z.uuid().openapi({ param: { name: "userId", in: "path" } }),
});
const roleBody = z
  .object({ role: z.enum(roles).openapi({ example: "admin" }) })
  .openapi("RoleChange");

const listRoute = createRoute({
  method: "get",
  path: "/v1/members",
  tags: ["Members"],
  summary: "The tenant's members",
  ...access("member"),
  request: { query: pageQuery },
  responses: {
    200: {
      description: "A page of members",
      content: { "application/json": { schema: listOf(memberSchema) } },
    },
    ...problemResponses(401, 422, 429),
  },
});

const patchRoute = createRoute({
  method: "patch",
  path: "/v1/members/{userId}",
  tags: ["Members"],
  summary: "Change a member's role; only owners make or unmake owners",
  ...access("admin"),
  request: {
    params: userIdParam,
    body: { content: { "application/json": { schema: roleBody } }, required: true },
  },
  responses: {
    200: { description: "The member", content: { "application/json": { schema: memberSchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 415, 422, 429),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/v1/members/{userId}",
  tags: ["Members"],
  summary: "Remove a member: their sessions end at once, their access tokens within seconds",
  ...access("admin"),
  request: { params: userIdParam },
  responses: { 204: { description: "Removed" }, ...problemResponses(401, 403, 404, 409, 429) },
});

const toItem = (member: Member) => ({ ...member, createdAt: member.createdAt.toISOString() });

/** Admins manage members and admins; owners are made and unmade by owners only. */
function assertMayTouch(actor: Principal, targetRole: string, newRole?: string): void {
  if ((targetRole === "owner" || newRole === "owner") && actor.role !== "owner") {
    throw new ApiError("forbidden", { detail: "Only owners make or change owners" });
  }
}

export function registerMembers(app: App, deps: GatewayDeps): void {
  const audit = (c: Context<AppEnv>) => ({ requestId: c.get("requestId"), ip: deps.clientIp(c) });

  app.openapi(listRoute, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listMembers(deps.sql, principalOf(c).tenantId, {
      limit,
      after: decodeIdCursor(cursor),
    });
    return c.json(
      page(rows, limit, (row) => row.userId, toItem),
      200,
    );
  });

  app.openapi(patchRoute, async (c) => {
    const actor = principalOf(c);
    const { userId } = c.req.valid("param");
    const { role } = c.req.valid("json");
    const member = await deps.sql.begin(async (tx) => {
      const memberships = await lockMemberships(tx, actor.tenantId);
      const target = memberships.find((membership) => membership.userId === userId);
      if (!target) throw new ApiError("not_found");
      assertMayTouch(actor, target.role, role);
      assertOwnerRemains(memberships, { userId, newRole: role });
      const [updated] = await tx<(Member & { version: string })[]>`
        with changed as (
          update memberships set role = ${role}, version = nextval('membership_versions')
          where tenant_id = ${actor.tenantId} and user_id = ${userId}
          returning user_id, role, created_at, version)
        select c.user_id, u.email, u.name, c.role, c.created_at, c.version
        from changed c join users u on u.id = c.user_id`;
      if (!updated) throw new ApiError("not_found");
      if (target.role !== role) {
        // Tokens carrying the old role stop working; a refresh gives one with the new role.
        await revokeAccess(tx, actor.tenantId, userId, Number(updated.version));
        await recordAuditEvent(tx, audit(c), {
          tenantId: actor.tenantId,
          actorId: actor.userId,
          action: "member_role_changed",
          entity: "membership",
          entityId: userId,
          data: { from: target.role, to: role },
        });
      }
      return updated;
    });
    await deps.revocations.refresh().catch(() => undefined);
    return c.json(toItem(member), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const actor = principalOf(c);
    const { userId } = c.req.valid("param");
    await deps.sql.begin(async (tx) => {
      const memberships = await lockMemberships(tx, actor.tenantId);
      const target = memberships.find((membership) => membership.userId === userId);
      if (!target) throw new ApiError("not_found");
      assertMayTouch(actor, target.role);
      assertOwnerRemains(memberships, { userId, newRole: null });
      await tx`delete from memberships where tenant_id = ${actor.tenantId} and user_id = ${userId}`;
      await revokeUserSessions(tx, actor.tenantId, userId);
      await revokeAccess(tx, actor.tenantId, userId);
      await recordAuditEvent(tx, audit(c), {
        tenantId: actor.tenantId,
        actorId: actor.userId,
        action: "member_removed",
        entity: "membership",
        entityId: userId,
        data: { role: target.role },
      });
    });
    // This process stops honouring the removed member's tokens now; others within a poll.
    await deps.revocations.refresh().catch(() => undefined);
    return c.body(null, 204);
  });
}
