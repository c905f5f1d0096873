import { createRoute } from "@hono/zod-openapi";
import { ApiError, type App, type AppEnv, problemResponses } from "@oryn/shared";
import type { MiddlewareHandler } from "hono";
import type { ProvisionerDeps } from "../deps.ts";
import { findTenantByRef } from "../tenants/operator-view.ts";
import { operatorAccess } from "./credential.ts";
import { operatorTenantSchema, tenantParams } from "./schemas.ts";
import { toOperatorTenant } from "./to-answer.ts";

export function registerGetTenant(
  app: App,
  deps: ProvisionerDeps,
  guard: MiddlewareHandler<AppEnv>,
): void {
  const route = createRoute({
    method: "get",
    operationId: "operatorGetTenant",
    path: "/v1/operator/tenants/{tenantId}",
    tags: ["Operators"],
    summary: "One tenant, by id or slug, with the underlying provisioning error",
    ...operatorAccess(guard),
    request: { params: tenantParams },
    responses: {
      200: {
        description: "The tenant",
        content: { "application/json": { schema: operatorTenantSchema } },
      },
      ...problemResponses(401, 403, 404, 422, 429, 503),
    },
  });
  app.openapi(route, async (c) => {
    const tenant = await findTenantByRef(
      deps.provisioning.controlPlane,
      c.req.valid("param").tenantId,
    );
    if (!tenant) throw new ApiError("not_found", { detail: "No tenant with this id or slug" });
    return c.json(toOperatorTenant(tenant), 200);
  });
}
