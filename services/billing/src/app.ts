import {
  type App,
  createApp,
  registerOperationalRoutes,
  requireJsonBodies,
  useCommonHandlers,
} from "@oryn/shared";
import type { BillingDeps } from "./deps.ts";
import { registerStripeWebhook } from "./webhooks/stripe-webhook.ts";

export function createBillingApp(deps: BillingDeps): App {
  const app = createApp();
  useCommonHandlers(app, deps);
  app.use("*", requireJsonBodies());
  registerStripeWebhook(app, deps);
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Oryn billing", version: "1.0.0" },
  });
  registerOperationalRoutes(app, {
    metrics: deps.metrics,
    checks: { controlPlane: () => deps.sql`select 1` },
  });
  return app;
}
