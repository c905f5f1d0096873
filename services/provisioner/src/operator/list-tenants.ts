import { createRoute } from "@hono/zod-openapi";
import { type App, type AppEnv, createdAtCursor, problemResponses } from "@oryn/shared";
import type { MiddlewareHandler } from "hono";
import type { ProvisionerDeps } from "../deps.ts";
import { pageTenants } from "../tenants/operator-view.ts";
import { operatorAccess } from "./credential.ts";
import { operatorTenantPageSchema, tenantListQuery } from "./schemas.ts";
import { toOperatorTenant } from "./to-answer.ts";

export function registerListTenants(
  app: App,
  deps: ProvisionerDeps,
  guard: MiddlewareHandler<AppEnv>,
): void {
  const route = createRoute({
    method: "get",
    operationId: "operatorListTenants",
    path: "/v1/operator/tenants",
    tags: ["Operators"],
    summary: "Every tenant of the fleet, oldest first",
    description:
      "Status, plan, database server, schema version and provisioning progress of each tenant; filter by `status` or `server`.",
    ...operatorAccess(guard),
    request: { query: tenantListQuery },
    responses: {
      200: {
        description: "A page of tenants",
        content: { "application/json": { schema: operatorTenantPageSchema } },
      },
      ...problemResponses(401, 403, 422, 429, 503),
    },
  });
  app.openapi(route, async (c) => {
    const { limit, cursor, status, server } = c.req.valid("query");
    const page = await pageTenants(deps.provisioning.controlPlane, {
      status,
      server,
      limit,
      after: createdAtCursor.decode(cursor),
    });
    return c.json({ items: page.items.map(toOperatorTenant), nextCursor: page.nextCursor }, 200);
  });
}
