import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerCreateWebhookEndpoint } from "./create-webhook-endpoint.ts";
import { registerDeleteWebhookEndpoint } from "./delete-webhook-endpoint.ts";
import { registerGetWebhookEndpoint } from "./get-webhook-endpoint.ts";
import { registerListDeliveries } from "./list-deliveries.ts";
import { registerListWebhookEndpoints } from "./list-webhook-endpoints.ts";
import { registerPingWebhookEndpoint } from "./ping-webhook-endpoint.ts";
import { registerReplayWebhookEndpoint } from "./replay-webhook-endpoint.ts";
import { registerRotateWebhookSecret } from "./rotate-webhook-secret.ts";
import { registerUpdateWebhookEndpoint } from "./update-webhook-endpoint.ts";

/** Admins' webhook endpoints; the webhooks service delivers to them. */
export function registerWebhookEndpoints(app: App, deps: GatewayDeps): void {
  registerCreateWebhookEndpoint(app, deps);
  registerListWebhookEndpoints(app, deps);
  registerGetWebhookEndpoint(app, deps);
  registerUpdateWebhookEndpoint(app, deps);
  registerDeleteWebhookEndpoint(app, deps);
  registerRotateWebhookSecret(app, deps);
  registerPingWebhookEndpoint(app, deps);
  registerReplayWebhookEndpoint(app, deps);
  registerListDeliveries(app, deps);
}
