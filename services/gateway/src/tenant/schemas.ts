import { z } from "@hono/zod-openapi";
import { tenantStatuses } from "@oryn/shared/control-plane/tables/tenants";

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
    deleteAfter: z.iso.datetime().nullable().openapi({
      description: "While `deleting`: when the tenant's data is dropped for good",
    }),
    mfaRequired: z.boolean().openapi({
      description: "Members without two-factor authentication may only manage their own account",
    }),
    createdAt: z.iso.datetime(),
  })
  .openapi("Tenant");

export const deleteTenantBody = z
  .object({
    confirm: z.string().max(100).openapi({ description: "The tenant's slug, typed again" }),
  })
  .openapi("TenantDeletion");

export const updateTenantBody = z
  .object({
    mfaRequired: z.boolean().openapi({
      description:
        "Require two-factor authentication of every member (you must have it on to turn this on)",
    }),
  })
  .openapi("TenantUpdate");

export type Tenant = z.infer<typeof tenantSchema>;
