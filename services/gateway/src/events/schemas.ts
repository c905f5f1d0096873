import { z } from "@hono/zod-openapi";
import { eventTypes, pageQuery, pageSchema } from "@oryn/shared";

export const eventSchema = z
  .object({
    id: z.uuid().openapi({ description: "Also each delivery's `webhook-id`: deduplicate on it" }),
    type: z.enum([...eventTypes, "ping"]),
    timestamp: z.iso
      .datetime()
      .openapi({ description: "When the change happened (UTC, ISO 8601)" }),
    sequence: z.number().int().openapi({
      description: "The tenant's own counter: 1, 2, 3… in commit order, without gaps",
    }),
    tenantId: z.uuid(),
    data: z.record(z.string(), z.unknown()).openapi({
      description: "The object as the API returns it (as it was, for a `*.deleted`)",
    }),
    previous: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: "On `*.updated`: the old values of the fields that changed" }),
  })
  .openapi("Event");

export const listEventsQuery = z.object({
  after: z
    .string()
    .regex(/^\d{1,18}$/, "a sequence number")
    .optional()
    .openapi({ type: "integer", minimum: 0, example: 0, description: "The last sequence seen" }),
  limit: pageQuery.shape.limit,
});

export const eventListSchema = pageSchema(eventSchema)
  .extend({
    nextCursor: z.string().nullable().openapi({
      description: "The `after` of the next page; null when this page reaches the end for now",
    }),
  })
  .openapi("EventList");

export type Event = z.infer<typeof eventSchema>;
