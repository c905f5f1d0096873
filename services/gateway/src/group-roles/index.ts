import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerListGroupRoles } from "./list-group-roles.ts";
import { registerReplaceGroupRoles } from "./replace-group-roles.ts";

export function registerGroupRoles(app: App, deps: GatewayDeps): void {
  registerListGroupRoles(app, deps);
  registerReplaceGroupRoles(app, deps);
}
