import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerCompleteMfaLogin } from "./complete-mfa-login.ts";
import { registerLogIn } from "./log-in.ts";
import { registerLogOut } from "./log-out.ts";
import { registerRefreshSession } from "./refresh-session.ts";

export function registerAuth(app: App, deps: GatewayDeps): void {
  registerLogIn(app, deps);
  registerCompleteMfaLogin(app, deps);
  registerRefreshSession(app, deps);
  registerLogOut(app, deps);
}
