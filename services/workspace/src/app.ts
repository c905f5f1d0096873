import {
  type App,
  authenticate,
  createApp,
  registerOperationalRoutes,
  requireJsonBodies,
  useCommonHandlers,
} from "@oryn/shared";
import { registerAuditLog } from "./audit/index.ts";
import type { WorkspaceDeps } from "./deps.ts";
import { registerProjects } from "./projects/index.ts";
import { registerTasks } from "./tasks/index.ts";
import { tenantGate } from "./tenants/tenant-gate.ts";

export function createWorkspaceApp(deps: WorkspaceDeps): App {
  const app = createApp();
  useCommonHandlers(app, deps);
  app.use("*", requireJsonBodies());
  // The gateway checked the token too; workspace does not take its word for it (docs/design.md).
  app.use("/v1/*", authenticate(deps.verify));
  app.use("/v1/*", tenantGate(deps.tenants, deps.pools));
  registerProjects(app, deps);
  registerTasks(app, deps);
  registerAuditLog(app, deps);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Oryn workspace", version: "1.0.0" },
  });
  registerOperationalRoutes(app, {
    metrics: deps.metrics,
    checks: deps.readiness,
  });
  return app;
}
