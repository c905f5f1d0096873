import {
  type App,
  authenticate,
  createApp,
  registerOperationalRoutes,
  requireJsonBodies,
  useCommonHandlers,
} from "@oryn/shared";
import type { BillingDeps } from "./deps.ts";
import { registerSubscription } from "./subscription/index.ts";
import { registerWebhooks } from "./webhooks/index.ts";

export function createBillingApp(deps: BillingDeps): App {
  const app = createApp();
  useCommonHandlers(app, deps);
  app.use("*", requireJsonBodies());
  // The gateway checked the token too; billing does not take its word for it (docs/design.md). No
  // tenant-status gate here: a restricted tenant must still be able to pay.
  app.use("/v1/*", authenticate(deps.verify));
  registerSubscription(app, deps);
  registerWebhooks(app, deps);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Oryn billing", version: "1.0.0" },
  });
  registerOperationalRoutes(app, { metrics: deps.metrics, checks: deps.readiness });
  return app;
}
