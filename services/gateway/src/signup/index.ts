import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerConfirmSignup } from "./confirm-signup.ts";
import { registerSignUp } from "./sign-up.ts";

export function registerSignup(app: App, deps: GatewayDeps): void {
  registerSignUp(app, deps);
  registerConfirmSignup(app, deps);
}
