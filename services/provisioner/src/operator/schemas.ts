import { z } from "@hono/zod-openapi";
import { pageQuery, pageSchema } from "@oryn/shared";
import { tenantStatuses } from "@oryn/shared/control-plane/tables/tenants";

const at = z.iso.datetime();

export const operatorTenantSchema = z
  .object({
    id: z.uuid(),
    slug: z.string(),
    name: z.string(),
    status: z.enum(tenantStatuses),
    plan: z.string(),
    server: z.string().openapi({
      description:
        "The database server's registered name (`TENANT_DATABASE_URL` for a tenant from before the registry)",
    }),
    schemaVersion: z.number().int(),
    provisioning: z.object({
      step: z.string().nullable(),
      attempts: z.number().int(),
      error: z.string().nullable().openapi({ description: "What the tenant itself is shown" }),
      errorDetail: z
        .string()
        .nullable()
        .openapi({ description: "The underlying error, for operators only" }),
    }),
    createdAt: at,
    updatedAt: at,
    activatedAt: at.nullable(),
  })
  .openapi("OperatorTenant");

export const operatorTenantPageSchema =
  pageSchema(operatorTenantSchema).openapi("OperatorTenantPage");

export const tenantListQuery = pageQuery.extend({
  status: z.enum(tenantStatuses).optional(),
  server: z.string().max(63).optional().openapi({ description: "A server's registered name" }),
});

export const tenantParams = z.object({
  tenantId: z
    .string()
    .min(1)
    .max(63)
    .openapi({
      param: { name: "tenantId", in: "path" },
      description: "The tenant's id, or its slug",
    }),
});

export const operatorServerSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    host: z.string(),
    port: z.number().int(),
    state: z.enum(["accepting", "draining"]),
    capacity: z.number().int().openapi({ description: "Tenants it may hold" }),
    tenants: z.number().int().openapi({ description: "Tenants placed on it (deleted aside)" }),
    load: z.number().openapi({ description: "tenants / capacity, what placement compares" }),
    spares: z.number().int().openapi({ description: "Ready spare databases of the warm pool" }),
    reachable: z.boolean().openapi({ description: "It answered the provisioner just now" }),
    connections: z.number().int().nullable().openapi({
      description: "Connections open to its tenant databases now; null when unreachable",
    }),
  })
  .openapi("OperatorServer");

export const operatorServerListSchema = z
  .object({ items: z.array(operatorServerSchema), nextCursor: z.null() })
  .openapi("OperatorServerList");

const failureSchema = z.object({
  tenantId: z.uuid(),
  slug: z.string(),
  server: z.string(),
  migration: z.string().nullable(),
  error: z.string(),
});

export const fleetRunSchema = z
  .object({
    id: z.uuid(),
    state: z.enum(["running", "succeeded", "failed", "interrupted"]),
    startedAt: at,
    finishedAt: at.nullable(),
    targetVersion: z.number().int(),
    canary: z.number().int().nullable(),
    concurrency: z.number().int(),
    error: z.string().nullable().openapi({ description: "Why the run stopped before a report" }),
    report: z
      .object({
        templates: z.array(
          z.object({
            server: z.string(),
            version: z.number().int(),
            applied: z.array(z.number().int()),
          }),
        ),
        tenants: z.object({
          alreadyUpToDate: z.number().int(),
          behind: z.number().int(),
          migrated: z.number().int(),
          skipped: z.number().int(),
          failed: z.number().int(),
        }),
        stoppedAfterCanary: z.boolean(),
        failures: z.array(failureSchema),
        ms: z.number().int(),
      })
      .nullable()
      .openapi({ description: "What `pnpm oryn migrate --json` printed; null while running" }),
  })
  .openapi("FleetMigrationRun");

export const retryAnswerSchema = operatorTenantSchema;
