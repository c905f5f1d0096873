import type { App } from "@oryn/shared";
import type { GatewayDeps } from "../deps.ts";

/** The public keys access tokens are signed with, for the upstreams (and anyone) to verify. */
export function registerGetJwks(app: App, deps: GatewayDeps): void {
  app.get("/.well-known/jwks.json", (c) => {
    c.header("cache-control", "public, max-age=300");
    return c.json(deps.tokens.keys.jwks);
  });
}
