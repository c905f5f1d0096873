import { z } from "@hono/zod-openapi";
import { eventTypes, pageQuery, pageSchema, text } from "@oryn/shared";

/** The URL, or null when it does not parse (refinements run even after `url()` failed). */
const parsed = (value: string) => (URL.canParse(value) ? new URL(value) : null);

const url = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  // The parser would percent-encode these in a path, but the string kept is the one sent.
  .refine((value) => /^[^\p{Cc}\s]+$/u.test(value), "must not contain spaces or control characters")
  .refine((value) => parsed(value)?.hostname !== "", "must name a host")
  .refine(
    (value) => !parsed(value)?.username && !parsed(value)?.password,
    "must not carry a user or password",
  )
  .openapi({ example: "https://hooks.example.com/oryn" });

const events = z
  .array(z.enum([...eventTypes, "*"]))
  .min(1)
  .max(eventTypes.length + 1)
  .refine((list) => new Set(list).size === list.length, "must not repeat a type")
  .openapi({
    description: 'The event types to receive, or `["*"]` for all of them',
    example: ["project.created", "task.created"],
  });

export const webhookEndpointSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string(),
    status: z.enum(["enabled", "paused", "disabled"]).openapi({
      description:
        "`paused` holds deliveries until enabled again; `disabled`: failing for the whole retry window (about three days), enable it to resume",
    }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi("WebhookEndpoint");

export const createdWebhookEndpointSchema = webhookEndpointSchema
  .extend({
    secret: z.string().openapi({
      description: "The signing secret (`whsec_…`), shown once, never again",
    }),
  })
  .openapi("CreatedWebhookEndpoint");

export const createWebhookEndpointBody = z
  .object({
    url,
    events,
    description: text({ max: 500 }).optional(),
  })
  .openapi("WebhookEndpointRequest");

export const updateWebhookEndpointBody = z
  .object({
    url: url.optional(),
    events: events.optional(),
    description: text({ max: 500 }).optional(),
    status: z.enum(["enabled", "paused"]).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, "must change something")
  .openapi("WebhookEndpointChange");

export const rotatedSecretSchema = z
  .object({
    secret: z.string().openapi({
      description: "The new secret, shown once; the old one also signs for the next 24 hours",
    }),
  })
  .openapi("RotatedWebhookSecret");

// One route for both ways of delivering again: everything since a time (a consumer that lost
// its store), or one event (a failed delivery retried by hand from the delivery log).
export const replayBody = z
  .union([
    z
      .object({
        since: z.iso.datetime({ offset: true }).openapi({
          description: "Every event from this time on is delivered again (same ids)",
          example: "2026-12-01T00:00:00Z",
        }),
      })
      .strict(),
    z
      .object({
        eventId: z.uuid().openapi({
          description:
            "This one event is delivered again (same id), e.g. a failed delivery retried by hand",
        }),
      })
      .strict(),
  ])
  .openapi("WebhookReplay");

export const deliveryAttemptSchema = z
  .object({
    id: z.uuid(),
    eventId: z.uuid(),
    eventType: z.string(),
    attempt: z.number().int(),
    status: z.enum(["succeeded", "failed"]),
    responseStatus: z.number().int().nullable(),
    durationMs: z.number().int(),
    response: z.string().openapi({
      description: "The first bytes of the answer, or why there was none",
    }),
    at: z.iso.datetime(),
  })
  .openapi("WebhookDeliveryAttempt");

export const listDeliveriesQuery = pageQuery.extend({
  status: z.enum(["succeeded", "failed"]).optional(),
});

export const webhookEndpointListSchema = pageSchema(webhookEndpointSchema);
export const deliveryAttemptListSchema = pageSchema(deliveryAttemptSchema);

export type WebhookEndpoint = z.infer<typeof webhookEndpointSchema>;
export type CreatedWebhookEndpoint = z.infer<typeof createdWebhookEndpointSchema>;
export type CreateWebhookEndpointInput = z.infer<typeof createWebhookEndpointBody>;
export type UpdateWebhookEndpointInput = z.infer<typeof updateWebhookEndpointBody>;
export type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;
