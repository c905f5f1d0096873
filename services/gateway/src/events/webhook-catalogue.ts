import { z } from "@hono/zod-openapi";
import { type App, eventTypes } from "@oryn/shared";
import { eventSchema } from "./schemas.ts";

const deliveryHeaders = z.object({
  "webhook-id": z.uuid().openapi({ description: "The event's id: the same on every retry" }),
  "webhook-timestamp": z.string().openapi({ description: "Unix seconds of this attempt" }),
  "webhook-signature": z.string().openapi({
    description:
      "`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, one per secret, space-separated (two during a rotation's 24 hours)",
  }),
});

/**
 * The event catalogue: each type a tenant may receive, as an OpenAPI 3.1 `webhooks` entry, so
 * `/docs` and the typed client show what a delivery carries.
 */
export function registerWebhookCatalogue(app: App): void {
  for (const type of [...eventTypes, "ping"] as const) {
    app.openAPIRegistry.registerWebhook({
      method: "post",
      path: type,
      // e.g. project.created → projectCreatedEvent
      operationId: `${type.replace(/[._]([a-z])/g, (_, letter: string) => letter.toUpperCase())}Event`,
      // Deliveries carry no bearer token: the receiver checks `webhook-signature`.
      security: [],
      tags: ["Events"],
      summary: `A \`${type}\` event, delivered to endpoints that subscribe to it (or to \`*\`)`,
      request: {
        headers: deliveryHeaders,
        body: {
          content: {
            "application/json": { schema: eventSchema.extend({ type: z.literal(type) }) },
          },
          required: true,
        },
      },
      responses: {
        200: { description: "Any 2xx within 10 s is success; anything else is retried" },
      },
    });
  }
}
