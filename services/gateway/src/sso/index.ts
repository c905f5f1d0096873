import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";
import { registerStartSignIn } from "./authorize.ts";
import { registerCreateConnection } from "./create-connection.ts";
import { registerDeleteConnection } from "./delete-connection.ts";
import { registerExchangeToken } from "./exchange-token.ts";
import { registerGetConnection } from "./get-connection.ts";
import { registerListConnections } from "./list-connections.ts";
import { registerOidcCallback } from "./oidc-callback.ts";
import { registerSamlAcs } from "./saml-acs.ts";
import { registerSamlServiceProviderMetadata } from "./saml-sp-metadata.ts";
import { registerUpdateConnection } from "./update-connection.ts";

/** Enterprise sign-in: the tenant's SSO connections and the sign-in flows through them. */
export function registerSso(app: App, deps: GatewayDeps): void {
  registerCreateConnection(app, deps);
  registerListConnections(app, deps);
  registerGetConnection(app, deps);
  registerUpdateConnection(app, deps);
  registerDeleteConnection(app, deps);
  registerStartSignIn(app, deps);
  registerOidcCallback(app, deps);
  registerExchangeToken(app, deps);
  registerSamlAcs(app, deps);
  registerSamlServiceProviderMetadata(app, deps);
}
