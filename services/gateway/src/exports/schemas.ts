import { z } from "@hono/zod-openapi";

export const exportStatuses = ["pending", "running", "ready", "failed", "expired"] as const;

export const exportSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(exportStatuses),
    sizeBytes: z.number().int().nullable(),
    sha256: z.string().nullable().openapi({ description: "SHA-256 of the archive, once ready" }),
    createdAt: z.iso.datetime(),
    completedAt: z.iso.datetime().nullable(),
    expiresAt: z.iso.datetime().openapi({ description: "After this the archive is removed" }),
  })
  .openapi("TenantExport");

export type TenantExport = z.infer<typeof exportSchema>;
