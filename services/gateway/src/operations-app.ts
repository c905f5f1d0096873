import { type App, createApp, registerOperationalRoutes, useCommonHandlers } from "@oryn/shared";
import type { GatewayDeps } from "./deps.ts";

/**
 * /healthz, /readyz and /metrics on the internal operations port (OPS_PORT): readiness names our
 * dependencies and metrics describe our traffic, neither of which the internet should read.
 */
export function createGatewayOperationsApp(deps: GatewayDeps): App {
  const app = createApp();
  useCommonHandlers(app, deps);
  registerOperationalRoutes(app, {
    metrics: deps.metrics,
    checks: {
      postgres: () => deps.sql`select 1`,
      redis: () => deps.redis.ping(),
      // Not workspace: with every workspace replica down the gateway still signs people up and
      // in and forwards billing, so taking every gateway out of rotation would turn a workspace
      // outage into a whole-platform one. Ejected replicas are retried by traffic instead.
    },
  });
  return app;
}
