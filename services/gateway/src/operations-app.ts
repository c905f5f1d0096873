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
      // Ready while any workspace replica answers: the others' tenants go to it meanwhile.
      workspace: () => deps.upstreams.workspace.ready(),
    },
  });
  return app;
}
