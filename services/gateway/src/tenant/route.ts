import { createRoute, z } from "@hono/zod-openapi";
import {
  ApiError,
  type App,
  access,
  findTenant,
  principalOf,
  problemResponses,
  type TenantRow,
  tenantStatuses,
} from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";

export const tenantSchema = z
  .object({
    id: z.uuid(),
    slug: z.string(),
    name: z.string(),
    status: z.enum(tenantStatuses),
    plan: z.string(),
    provisioning: z.object({
      step: z.string().nullable().openapi({ description: "The step being run, or `done`" }),
      attempts: z.number().int(),
      error: z.string().nullable(),
    }),
    deleteAfter: z.string().nullable().openapi({
      description: "While `deleting`: when the tenant's data is dropped for good",
    }),
    createdAt: z.string(),
  })
  .openapi("Tenant");

const route = createRoute({
  method: "get",
  path: "/v1/tenant",
  tags: ["Tenant"],
  summary: "The caller's tenant, with its provisioning progress",
  ...access("member"),
  responses: {
    200: { description: "The tenant", content: { "application/json": { schema: tenantSchema } } },
    ...problemResponses(401, 404, 429),
  },
});

export function registerTenant(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const tenant = await findTenant(deps.sql, principalOf(c).tenantId);
    if (!tenant || tenant.status === "deleted") throw new ApiError("not_found");
    return c.json(tenantBody(tenant), 200);
  });
}

export function tenantBody(tenant: TenantRow): z.infer<typeof tenantSchema> {
  return {
    id: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    status: tenant.status,
    plan: tenant.plan,
    provisioning: {
      step: tenant.provisioningStep,
      attempts: tenant.provisioningAttempts,
      error: tenant.provisioningError,
    },
    deleteAfter: tenant.deleteAfter?.toISOString() ?? null,
    createdAt: tenant.createdAt.toISOString(),
  };
}
