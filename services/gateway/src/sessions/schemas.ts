import { z } from "@hono/zod-openapi";

export const sessionSchema = z
  .object({
    id: z.uuid(),
    tenant: z
      .object({ id: z.uuid(), slug: z.string() })
      .openapi({ description: "The tenant the session signs in to" }),
    createdAt: z.iso.datetime().openapi({ description: "When the person signed in" }),
    lastUsedAt: z.iso.datetime().openapi({ description: "The last refresh (or the sign-in)" }),
    userAgent: z.string().nullable(),
    ip: z.string().nullable().openapi({ description: "The address of the last refresh" }),
    current: z.boolean().openapi({ description: "The session of the token making this request" }),
  })
  .openapi("Session");

export const sessionListSchema = z.object({ items: z.array(sessionSchema) }).openapi("SessionList");

export type Session = z.infer<typeof sessionSchema>;
