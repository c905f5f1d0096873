import { createRoute } from "@hono/zod-openapi";
import { type App, problemResponses, scheduleTenantDeletion } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { personAccess } from "../lib/people.ts";
import { callerOf } from "../lib/request.ts";
import { deleteTenantBody, tenantSchema } from "./schemas.ts";
import { requestDeletion } from "./tenant.ts";

const route = createRoute({
  method: "delete",
  operationId: "deleteTenant",
  path: "/v1/tenant",
  tags: ["Tenant"],
  summary:
    "Delete the tenant: it becomes `deleting` at once, every member's sessions end within seconds, " +
    "and its data is dropped after the grace period unless an operator restores it; a person only, not an API key",
  ...personAccess("owner"),
  request: {
    body: { content: { "application/json": { schema: deleteTenantBody } }, required: true },
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
    const caller = callerOf(c, deps);
    const { confirm } = c.req.valid("json");
    const deletion = await deps.sql.begin((tx) =>
      requestDeletion(tx, caller, {
        confirm,
        graceSeconds: deps.config.TENANT_DELETION_GRACE_SECONDS,
      }),
    );
    // The deletion is committed; the job is the fast path, the provisioner's sweep the safety net.
    await scheduleTenantDeletion(deps.queues, deletion.tenant.id, deletion.deleteAfter, {
      timeoutMs: 2000,
    }).catch((error: unknown) =>
      deps.logger.warn(
        { err: error, tenantId: deletion.tenant.id },
        "could not enqueue the tenant's deletion; the provisioner's sweep will find it",
      ),
    );
    // This process refuses the members' access tokens from now on, the others within a poll.
    await deps.revocations.refresh().catch(() => undefined);
    return c.json(deletion.tenant, 202);
  });
}
