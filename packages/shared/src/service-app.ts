import type { MiddlewareHandler } from "hono";
import { type App, type AppEnv, createApp, requireJsonBodies, useCommonHandlers } from "./http.ts";
import type { Logger } from "./logger.ts";
import { type Metrics, type ReadinessChecks, registerOperationalRoutes } from "./operations.ts";
import { authenticate, type TokenVerifier } from "./tokens.ts";

/** Declares the `bearer` scheme the routes' `access(…)` names (a JWT, or the gateway's API key). */
export function registerBearerScheme(app: App): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
  });
}

/**
 * The app of a service behind the gateway (workspace, billing): common handlers, JSON bodies,
 * its own check of the bearer token on `/v1/*` (the gateway checked it too; a service does not
 * take its word for it, docs/design.md), then `gates`, the routes, the service's OpenAPI document
 * at /openapi.json, and /healthz, /readyz and /metrics.
 */
export function createServiceApp(
  deps: { logger: Logger; metrics: Metrics; verify: TokenVerifier; readiness: ReadinessChecks },
  service: { title: string; gates?: MiddlewareHandler<AppEnv>[]; routes: (app: App) => void },
): App {
  const app = createApp();
  useCommonHandlers(app, deps);
  app.use("*", requireJsonBodies());
  app.use("/v1/*", authenticate(deps.verify));
  for (const gate of service.gates ?? []) app.use("/v1/*", gate);
  service.routes(app);
  registerBearerScheme(app);
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: service.title, version: "1.0.0" },
  });
  registerOperationalRoutes(app, { metrics: deps.metrics, checks: deps.readiness });
  return app;
}
