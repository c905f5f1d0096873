import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerEndSession } from "./end-session.ts";
import { registerListSessions } from "./list-sessions.ts";

export function registerSessions(app: App, deps: GatewayDeps): void {
  registerListSessions(app, deps);
  registerEndSession(app, deps);
}
