import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerDeleteTenant } from "./delete-tenant.ts";
import { registerGetTenant } from "./get-tenant.ts";
import { registerUpdateTenant } from "./update-tenant.ts";

export function registerTenant(app: App, deps: GatewayDeps): void {
  registerGetTenant(app, deps);
  registerUpdateTenant(app, deps);
  registerDeleteTenant(app, deps);
}
