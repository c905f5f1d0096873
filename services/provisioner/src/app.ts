import { type App, createApp, registerOperationalRoutes, useCommonHandlers } from "@oryn/shared";
import { registerAdmin } from "./admin/index.ts";
import type { ProvisionerDeps } from "./deps.ts";
import { registerOperatorApi } from "./operator/index.ts";

/**
 * The provisioner serves no public API: health, readiness and metrics, the operators' queue
 * board, and the operator API the gateway forwards `/v1/operator/...` to, on an internal port.
 */
export function createProvisionerApp(deps: ProvisionerDeps): App {
  const app = createApp();
  useCommonHandlers(app, { logger: deps.provisioning.logger, metrics: deps.metrics });
  registerOperationalRoutes(app, {
    metrics: deps.metrics,
    checks: {
      controlPlane: () => deps.provisioning.controlPlane`select 1`,
      tenantServer: () => deps.provisioning.admin`select 1`,
      redis: () => deps.redis.ping(),
    },
  });
  registerAdmin(app, deps);
  registerOperatorApi(app, deps);
  return app;
}
