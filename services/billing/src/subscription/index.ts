import type { App } from "@oryn/shared";
import type { BillingDeps } from "../deps.ts";
import { registerCreateCheckout } from "./create-checkout.ts";
import { registerCreatePortal } from "./create-portal.ts";
import { registerGetSubscription } from "./get-subscription.ts";

export function registerSubscription(app: App, deps: BillingDeps): void {
  registerGetSubscription(app, deps);
  registerCreateCheckout(app, deps);
  registerCreatePortal(app, deps);
}
