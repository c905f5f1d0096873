import { createRoute } from "@hono/zod-openapi";
import { ApiError, type App, type AppEnv, problemResponses } from "@oryn/shared";
import type { MiddlewareHandler } from "hono";
import type { ProvisionerDeps } from "../deps.ts";
import { findTenantByRef, retryProvisioning } from "../tenants/operator-view.ts";
import { operatorAccess } from "./credential.ts";
import { operatorTenantSchema, tenantParams } from "./schemas.ts";
import { toOperatorTenant } from "./to-answer.ts";

export function registerRetryProvisioning(
  app: App,
  deps: ProvisionerDeps,
  guard: MiddlewareHandler<AppEnv>,
): void {
  const route = createRoute({
    method: "post",
    operationId: "operatorRetryProvisioning",
    path: "/v1/operator/tenants/{tenantId}/retry-provisioning",
    tags: ["Operators"],
    summary: "Provision a `provisioning_failed` tenant again",
    description:
      "Like `pnpm oryn tenants retry`: the tenant goes back to `provisioning` with its error cleared and five fresh attempts; follow it with `GET /v1/operator/tenants/{tenantId}`. Audited as `provisioning_retried`.",
    ...operatorAccess(guard),
    request: { params: tenantParams },
    responses: {
      202: {
        description: "Provisioning again",
        content: { "application/json": { schema: operatorTenantSchema } },
      },
      ...problemResponses(401, 403, 404, 409, 422, 429, 503),
    },
  });
  app.openapi(route, async (c) => {
    const sql = deps.provisioning.controlPlane;
    const found = await findTenantByRef(sql, c.req.valid("param").tenantId);
    if (!found) throw new ApiError("not_found", { detail: "No tenant with this id or slug" });
    const ip = c.req.header("x-forwarded-for");
    const outcome = await retryProvisioning(sql, deps.queues, found.id, {
      via: "operator_api",
      requestId: c.get("requestId"),
      ...(ip ? { ip } : {}),
    });
    if (outcome === "not_failed") {
      throw new ApiError("conflict", {
        detail: `The tenant is ${found.status}: only a provisioning_failed tenant can be retried`,
      });
    }
    c.var.logger.info({ operator: true, tenantId: found.id }, "operator retried provisioning");
    const tenant = await findTenantByRef(sql, found.id);
    return c.json(toOperatorTenant(tenant ?? found), 202);
  });
}
