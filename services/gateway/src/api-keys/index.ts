import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerCreateApiKey } from "./create-api-key.ts";
import { registerDeleteApiKey } from "./delete-api-key.ts";
import { registerListApiKeys } from "./list-api-keys.ts";

export function registerApiKeys(app: App, deps: GatewayDeps): void {
  registerCreateApiKey(app, deps);
  registerListApiKeys(app, deps);
  registerDeleteApiKey(app, deps);
}
