import type { App } from "@oryn/shared";
import type { BillingDeps } from "../deps.ts";
import { registerReceiveStripeEvent } from "./receive-stripe-event.ts";

export function registerWebhooks(app: App, deps: BillingDeps): void {
  registerReceiveStripeEvent(app, deps);
}
