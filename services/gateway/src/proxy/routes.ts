import { type App, type AppEnv, principalOf } from "@oryn/shared";
import type { Context } from "hono";
import type { GatewayDeps } from "../deps.ts";

/** Paths the gateway forwards, and to which upstream. Each upstream verifies the token again. */
export function registerProxyRoutes(app: App, deps: GatewayDeps): void {
  const toWorkspace = async (c: Context<AppEnv>) => {
    principalOf(c);
    return deps.upstreams.workspace.forward(c, { clientIp: deps.clientIp(c) });
  };
  app.all("/v1/projects", toWorkspace);
  app.all("/v1/projects/*", toWorkspace);
  app.all("/v1/audit-log", toWorkspace);
  app.all("/v1/audit-log/*", toWorkspace);

  const toBilling = async (c: Context<AppEnv>) => {
    principalOf(c);
    return deps.upstreams.billing.forward(c, { clientIp: deps.clientIp(c) });
  };
  app.all("/v1/billing/*", toBilling);

  // Stripe signs the raw body: the billing service verifies it, so it is forwarded byte for byte.
  app.post("/webhooks/stripe", (c) =>
    deps.upstreams.billing.forward(c, { clientIp: deps.clientIp(c) }),
  );
}
