import { createRoute } from "@hono/zod-openapi";
import { type App, access, principalOf, problemResponses } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { idParams } from "../lib/schemas.ts";
import { rotatedSecretSchema } from "./schemas.ts";
import { rotateWebhookSecret } from "./webhook-endpoints.ts";

const route = createRoute({
  method: "post",
  operationId: "rotateWebhookSecret",
  path: "/v1/webhook-endpoints/{id}/rotate-secret",
  tags: ["Webhooks"],
  summary: "A new signing secret, shown once; the old one also signs for 24 hours",
  ...access("admin"),
  request: { params: idParams },
  responses: {
    200: {
      description: "The new secret",
      content: { "application/json": { schema: rotatedSecretSchema } },
    },
    ...problemResponses(401, 403, 404, 422, 429),
  },
});

export function registerRotateWebhookSecret(app: App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const rotated = await deps.sql.begin((tx) =>
      rotateWebhookSecret(tx, principalOf(c).tenantId, c.req.valid("param").id, deps.webhooks.key),
    );
    return c.json(rotated, 200);
  });
}
