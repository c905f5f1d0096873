import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerGetJwks } from "./get-jwks.ts";

export function registerTokens(app: App, deps: GatewayDeps): void {
  registerGetJwks(app, deps);
}
