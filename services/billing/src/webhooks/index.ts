import type { App } from "@oryn/shared";
import type { BillingDeps } from "../deps.ts";
import { registerReceiveStripeEvent } from "./receive-stripe-event.ts";
import { stripeEvent } from "./schemas.ts";

export function registerWebhooks(app: App, deps: BillingDeps): void {
  // The route's body refers to it by name (it does not let the framework parse the body).
  app.openAPIRegistry.register("StripeEvent", stripeEvent);
  registerReceiveStripeEvent(app, deps);
}
