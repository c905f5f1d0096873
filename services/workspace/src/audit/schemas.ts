import { z } from "@hono/zod-openapi";
import { pageQuery, pageSchema } from "@oryn/shared";

/** The audited entities, by their singular resource names (docs/api.md). */
export const auditedEntities = ["project", "task"] as const;

const instant = z.iso.datetime({ offset: true }).openapi({ format: "date-time" });

export const auditLogQuery = pageQuery.extend({
  entity: z.enum(auditedEntities).optional(),
  actor: z
    .uuid()
    .transform((id) => id.toLowerCase())
    .optional()
    .openapi({ description: "The user (or API key principal) who made the change" }),
  from: instant.optional().openapi({ description: "Entries at or after this instant" }),
  to: instant.optional().openapi({ description: "Entries before this instant" }),
});

export const auditEntrySchema = z
  .object({
    id: z.string().openapi({ description: "Position in the tenant's log, a decimal integer" }),
    at: z.string().openapi({ format: "date-time" }),
    actorId: z.uuid().nullable(),
    action: z.enum(["created", "updated", "deleted"]),
    entity: z.string(),
    entityId: z.uuid(),
    before: z.record(z.string(), z.unknown()).nullable(),
    after: z.record(z.string(), z.unknown()).nullable(),
    requestId: z.string().nullable(),
  })
  .openapi("AuditEntry");

export const auditLogSchema = pageSchema(auditEntrySchema).openapi("AuditLog");

export const chainReportSchema = z
  .object({
    ok: z.boolean(),
    checked: z.number().int(),
    firstBrokenId: z.string().nullable(),
    reason: z.string().nullable(),
  })
  .openapi("AuditChainReport");

export type AuditEntry = z.infer<typeof auditEntrySchema>;
export type ChainReport = z.infer<typeof chainReportSchema>;
