import { createRoute, z } from "@hono/zod-openapi";
import {
  ApiError,
  type App,
  access,
  findTenant,
  principalOf,
  problemResponses,
  requestTenantDeletion,
  scheduleTenantDeletion,
} from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { tenantBody, tenantSchema } from "./route.ts";

const confirmBody = z
  .object({
    confirm: z.string().max(100).openapi({ description: "The tenant's slug, typed again" }),
  })
  .openapi("TenantDeletion");

const route = createRoute({
  method: "delete",
  path: "/v1/tenant",
  tags: ["Tenant"],
  summary:
    "Delete the tenant: it becomes `deleting` at once, every member's sessions end within seconds, " +
    "and its data is dropped after the grace period unless an operator restores it",
  ...access("owner"),
  request: {
    body: { content: { "application/json": { schema: confirmBody } }, required: true },
  },
  responses: {
    202: {
      description: "Deletion scheduled; `deleteAfter` says when the data goes",
      content: { "application/json": { schema: tenantSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 415, 422, 429),
  },
});

export function registerDeleteTenant(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const principal = principalOf(c);
    const { confirm } = c.req.valid("json");
    const tenant = await findTenant(deps.sql, principal.tenantId);
    if (!tenant || tenant.status === "deleted") throw new ApiError("not_found");
    // Slugs never change, so comparing before the transaction is as good as inside it.
    if (confirm !== tenant.slug) {
      throw new ApiError("validation_failed", {
        detail: "Type the tenant's slug in `confirm` to delete it",
        errors: [{ path: "confirm", message: "must equal the tenant's slug" }],
      });
    }
    const request = await requestTenantDeletion(deps.sql, tenant.id, {
      graceSeconds: deps.config.TENANT_DELETION_GRACE_SECONDS,
      requester: {
        actorId: principal.userId,
        requestId: c.get("requestId"),
        ip: deps.clientIp(c),
        via: "owner",
      },
    });
    if (!("deleteAfter" in request)) throw new ApiError("not_found");
    // The deletion is committed; the job is the fast path, the provisioner's sweep the safety net.
    await scheduleTenantDeletion(deps.queues, tenant.id, request.deleteAfter, {
      timeoutMs: 2000,
    }).catch((error: unknown) =>
      deps.logger.warn(
        { err: error, tenantId: tenant.id },
        "could not enqueue the tenant's deletion; the provisioner's sweep will find it",
      ),
    );
    // This process refuses the members' access tokens from now on, the others within a poll.
    await deps.revocations.refresh().catch(() => undefined);
    const deleting = await findTenant(deps.sql, tenant.id);
    if (!deleting) throw new ApiError("not_found");
    return c.json(tenantBody(deleting), 202);
  });
}
