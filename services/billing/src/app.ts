import { type App, createServiceApp } from "@oryn/shared";
import type { BillingDeps } from "./deps.ts";
import { registerSubscription } from "./subscription/index.ts";
import { registerWebhooks } from "./webhooks/index.ts";

export function createBillingApp(deps: BillingDeps): App {
  // No tenant-status gate here: a restricted tenant must still be able to pay.
  return createServiceApp(deps, {
    title: "Oryn billing",
    routes(app) {
      registerSubscription(app, deps);
      registerWebhooks(app, deps);
    },
  });
}
