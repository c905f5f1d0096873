import type { App } from "@oryn/shared";
import type { ProvisionerDeps } from "../deps.ts";
import { operatorScheme, requireOperator } from "./credential.ts";
import { registerGetLastFleetMigration } from "./get-last-fleet-migration.ts";
import { registerGetTenant } from "./get-tenant.ts";
import { registerListServers } from "./list-servers.ts";
import { registerListTenants } from "./list-tenants.ts";
import { registerRetryProvisioning } from "./retry-provisioning.ts";

/**
 * The operator API, `/v1/operator/...` on the provisioner's internal port, reached by operators
 * through the gateway (which forwards it and refuses tenant credentials first). Served here
 * because the provisioner owns what it shows and does (the registry, placement, provisioning
 * jobs, fleet runs): the gateway needs no grant on those tables and no queue rights beyond a
 * signup's enqueue. docs/operations.md#the-operator-api
 */
export function registerOperatorApi(app: App, deps: ProvisionerDeps): void {
  const guard = requireOperator(deps.operatorToken);
  registerListTenants(app, deps, guard);
  registerGetTenant(app, deps, guard);
  registerRetryProvisioning(app, deps, guard);
  registerListServers(app, deps, guard);
  registerGetLastFleetMigration(app, deps, guard);
  app.openAPIRegistry.registerComponent("securitySchemes", operatorScheme, {
    type: "http",
    scheme: "bearer",
    description: "The operator credential, OPERATOR_TOKEN",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Oryn operators", version: "1.0.0" },
  });
}
