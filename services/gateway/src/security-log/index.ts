import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerListSecurityEvents } from "./list-security-events.ts";

export function registerSecurityLog(app: App, deps: GatewayDeps): void {
  registerListSecurityEvents(app, deps);
}
