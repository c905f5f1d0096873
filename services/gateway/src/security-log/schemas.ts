import { z } from "@hono/zod-openapi";
import { pageQuery, pageSchema } from "@oryn/shared";

export const securityEventSchema = z
  .object({
    id: z.string().openapi({ description: "Increasing: newer events have larger ids" }),
    at: z.string(),
    actorId: z.uuid().nullable().openapi({ description: "A user's id, or an API key's" }),
    action: z.string().openapi({ example: "logged_in" }),
    entity: z.string(),
    entityId: z.string().nullable(),
    ip: z.string().nullable(),
    requestId: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
  })
  .openapi("SecurityEvent");

export const securityLogQuery = pageQuery.extend({
  actor: z.uuid().optional().openapi({ description: "Only this user's (or API key's) events" }),
});

export const securityLogSchema = pageSchema(securityEventSchema).openapi("SecurityLog");

export type SecurityEvent = z.infer<typeof securityEventSchema>;
