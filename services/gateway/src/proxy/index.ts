import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerForwardToBilling } from "./forward-to-billing.ts";
import { registerForwardToProvisioner } from "./forward-to-provisioner.ts";
import { registerForwardToWorkspace } from "./forward-to-workspace.ts";

/** Paths the gateway forwards, and to which upstream. Each upstream verifies the token again. */
export function registerProxy(app: App, deps: GatewayDeps): void {
  registerForwardToWorkspace(app, deps);
  registerForwardToBilling(app, deps);
  registerForwardToProvisioner(app, deps);
}
