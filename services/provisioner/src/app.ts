import type { Logger, Redis } from "@oryn/shared";
import {
  type App,
  createApp,
  type Metrics,
  registerOperationalRoutes,
  type Sql,
  useCommonHandlers,
} from "@oryn/shared";

/** The provisioner serves no public API: only health, readiness and metrics, on an internal port. */
export function createProvisionerApp(deps: {
  logger: Logger;
  metrics: Metrics;
  controlPlane: Sql;
  admin: Sql;
  redis: Redis;
}): App {
  const app = createApp();
  useCommonHandlers(app, deps);
  registerOperationalRoutes(app, {
    metrics: deps.metrics,
    checks: {
      controlPlane: () => deps.controlPlane`select 1`,
      tenantServer: () => deps.admin`select 1`,
      redis: () => deps.redis.ping(),
    },
  });
  return app;
}
