import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerListEvents } from "./list-events.ts";
import { registerWebhookCatalogue } from "./webhook-catalogue.ts";

export function registerEvents(app: App, deps: GatewayDeps): void {
  registerListEvents(app, deps);
  registerWebhookCatalogue(app);
}
