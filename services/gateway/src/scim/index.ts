import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerCreateScimToken } from "./create-scim-token.ts";
import { registerDeleteScimToken } from "./delete-scim-token.ts";
import { registerListScimTokens } from "./list-scim-tokens.ts";
import { createScimApp, scimBasePath } from "./scim-app.ts";

/** The /v1 routes that manage SCIM tokens, and the SCIM API itself at /scim/v2. */
export function registerScim(app: App, deps: GatewayDeps): void {
  registerCreateScimToken(app, deps);
  registerListScimTokens(app, deps);
  registerDeleteScimToken(app, deps);
  app.route(scimBasePath, createScimApp(deps) as never);
}
