import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerSignUp } from "./sign-up.ts";

export function registerSignup(app: App, deps: GatewayDeps): void {
  registerSignUp(app, deps);
}
