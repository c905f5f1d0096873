import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerListEvents } from "./list-events.ts";

export function registerEvents(app: App, deps: GatewayDeps): void {
  registerListEvents(app, deps);
}
