import { type App, createServiceApp } from "@oryn/shared";
import { registerAuditLog } from "./audit/index.ts";
import type { WorkspaceDeps } from "./deps.ts";
import { registerProjects } from "./projects/index.ts";
import { registerTasks } from "./tasks/index.ts";
import { tenantGate } from "./tenants/tenant-gate.ts";

export function createWorkspaceApp(deps: WorkspaceDeps): App {
  return createServiceApp(deps, {
    title: "Oryn workspace",
    gates: [tenantGate(deps.tenants, deps.pools)],
    routes(app) {
      registerProjects(app, deps);
      registerTasks(app, deps);
      registerAuditLog(app, deps);
    },
  });
}
