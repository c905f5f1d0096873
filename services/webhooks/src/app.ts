import { type App, createApp, registerOperationalRoutes, useCommonHandlers } from "@oryn/shared";
import type { WebhooksDeps } from "./deps.ts";

/** No public API: /healthz, /readyz (control plane and Redis answer) and /metrics, internal. */
export function createWebhooksApp(deps: WebhooksDeps): App {
  const app = createApp();
  useCommonHandlers(app, { logger: deps.logger, metrics: deps.metrics });
  registerOperationalRoutes(app, {
    metrics: deps.metrics,
    checks: {
      controlPlane: () => deps.sql`select 1`,
      redis: () => deps.redis.ping(),
    },
  });
  return app;
}
